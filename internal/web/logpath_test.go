package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFailedRequestLogNamesNoMember checks the log line of a server fault:
// a path naming a member or carrying a secret is logged as its route.
func TestFailedRequestLogNamesNoMember(t *testing.T) {
	for _, tc := range []struct{ pattern, path, secret, want string }{
		{"GET /members/{username}", "/members/quillonmarsh", "quillonmarsh", `path="GET /members/{username}"`},
		{"GET /reset/{token}", "/reset/s3cr3t-t0ken", "s3cr3t-t0ken", `path="GET /reset/{token}"`},
		{"GET /tracks/{id}", "/tracks/42", "", "path=/tracks/42"},
	} {
		var logs bytes.Buffer
		s := &Server{Deps: Deps{Logger: slog.New(slog.NewTextHandler(&logs, nil))}}
		mux := http.NewServeMux()
		mux.Handle(tc.pattern, s.h(func(w http.ResponseWriter, r *http.Request) error { return errors.New("disk on fire") }))
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Accept", "application/json")
		mux.ServeHTTP(httptest.NewRecorder(), req)
		if !strings.Contains(logs.String(), tc.want) || (tc.secret != "" && strings.Contains(logs.String(), tc.secret)) {
			t.Errorf("%s: log %q, want %s", tc.path, logs.String(), tc.want)
		}
	}
}
