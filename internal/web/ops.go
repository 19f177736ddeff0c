package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// healthz answers 200 while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when the database and the file store answer, 503 otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	dbErr := s.DB.Ping(ctx)
	filesErr := s.Files.Ping(ctx)
	status := http.StatusOK
	if dbErr != nil || filesErr != nil {
		status = http.StatusServiceUnavailable
		s.Logger.Warn("not ready", "err", errors.Join(dbErr, filesErr))
	}
	state := func(err error) string {
		if err != nil {
			return "unavailable"
		}
		return "ok"
	}
	return writeJSON(w, status, map[string]string{"database": state(dbErr), "files": state(filesErr)})
}

// robots lets crawlers index the catalogue but not the studio or forms.
func robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("User-agent: *\nDisallow: /studio\nDisallow: /login\nDisallow: /signup\nDisallow: /search\n"))
}

func (s *Server) staticHandler() http.Handler {
	fsrv := http.StripPrefix("/static/", http.FileServerFS(s.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
