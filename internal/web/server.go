// Package web is Chorus's browser surface: server-rendered HTML pages, the
// stream and download endpoints, and the forms of members and artists.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"

	"chorus/internal/chorus"
	"chorus/internal/files"
	"chorus/internal/mail"
	"chorus/internal/publishing"
	"chorus/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the web surface needs.
type Deps struct {
	DB         *store.DB
	Files      *files.Store
	Publishing *publishing.Service
	// Mail queues messages in the transaction of the change that causes them.
	Mail   *mail.Service
	Logger *slog.Logger
	// BaseURL is the public origin, without a trailing slash.
	BaseURL string
	// MaxUploadBytes is the largest accepted audio file, in bytes.
	MaxUploadBytes int64
}

// Server serves the web surface.
type Server struct {
	Deps
	sessions *scs.SessionManager
	pages    map[string]*template.Template
	static   fs.FS
	// passwordSlots bounds concurrent password hashing: each argon2id
	// computation holds 19 MiB, so a burst of logins must queue rather
	// than exhaust memory.
	passwordSlots chan struct{}
}

// New parses every template (failing at start, not at request time) and
// prepares the session manager.
func New(d Deps) (*Server, error) {
	if d.Mail == nil {
		return nil, errors.New("web: Deps.Mail is required (sign-up sends a verification link)")
	}
	s := &Server{Deps: d, passwordSlots: make(chan struct{}, max(2, runtime.NumCPU()))}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.sessions = scs.New()
	if d.DB.Dialect() == store.Postgres {
		s.sessions.Store = postgresstore.NewWithCleanupInterval(d.DB.SQL(), 30*time.Minute)
	} else {
		s.sessions.Store = sqlite3store.NewWithCleanupInterval(d.DB.SQL(), 30*time.Minute)
	}
	s.sessions.Lifetime = 30 * 24 * time.Hour
	s.sessions.IdleTimeout = 14 * 24 * time.Hour
	s.sessions.Cookie.Name = "chorus_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = strings.HasPrefix(d.BaseURL, "https://")
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.Logger.Error("session", "err", err)
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.static, err = fs.Sub(staticFS, "static"); err != nil {
		return nil, err
	}
	return s, nil
}

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// handler is an HTTP handler that returns its error to one adapter.
type handler func(w http.ResponseWriter, r *http.Request) error

// View is what every page template receives.
type View struct {
	Title   string
	Member  *chorus.Member
	Query   string // the search box's current text
	Flash   string
	BaseURL string
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	v := View{Title: title, Member: s.member(r), BaseURL: s.BaseURL, Data: data, Flash: s.sessions.PopString(r.Context(), "flash")}
	if r.URL.Path == "/search" {
		v.Query = r.URL.Query().Get("q")
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write([]byte(buf.String()))
	return err
}

func (s *Server) flash(r *http.Request, msg string) { s.sessions.Put(r.Context(), "flash", msg) }

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// h adapts a handler: its error becomes a status code and a message a
// person can understand; server faults are logged and never shown.
func (s *Server) h(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client went away
		}
		status, msg := classify(err)
		if status >= 500 {
			s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		if wantsJSON(r) {
			body := map[string]any{"error": msg}
			var inv *chorus.InvalidError
			if errors.As(err, &inv) && len(inv.Fields) > 0 {
				body["fields"] = inv.Fields
			}
			_ = writeJSON(w, status, body)
			return
		}
		if rerr := s.render(w, r, status, "error.html", http.StatusText(status), map[string]any{"Status": status, "Message": msg}); rerr != nil {
			s.Logger.Error("render error page", "err", rerr)
			http.Error(w, msg, status)
		}
	})
}

func classify(err error) (int, string) {
	var inv *chorus.InvalidError
	var safe *chorus.SafeError
	var refused *publishing.RefusedError
	switch {
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity, inv.Error()
	case errors.As(err, &refused):
		if errors.Is(err, publishing.ErrInterrupted) {
			return http.StatusBadRequest, "The upload was interrupted before every file arrived. Files that arrived whole are in your studio; please upload the others again."
		}
		if errors.Is(err, chorus.ErrTooLarge) {
			return http.StatusRequestEntityTooLarge, refused.Error()
		}
		return http.StatusUnprocessableEntity, refused.Error()
	case errors.As(err, &safe):
		st, _ := classify(safe.Kind)
		return st, safe.Safe
	case errors.Is(err, chorus.ErrNotFound):
		return http.StatusNotFound, "We could not find that page. It may have been removed, or the link is mistyped."
	case errors.Is(err, chorus.ErrUnauthorized):
		return http.StatusUnauthorized, "Please log in to continue."
	case errors.Is(err, chorus.ErrForbidden):
		return http.StatusForbidden, "You are not allowed to do that."
	case errors.Is(err, chorus.ErrConflict):
		return http.StatusConflict, "That conflicts with something that already exists."
	case errors.Is(err, chorus.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "That is too large."
	}
	return http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
}

// notFound answers every path no route matches with the site's 404 page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return chorus.ErrNotFound
}
