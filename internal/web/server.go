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
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/go-webauthn/webauthn/webauthn"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/export"
	"chorus/internal/files"
	"chorus/internal/geoip"
	"chorus/internal/mail"
	"chorus/internal/notify"
	"chorus/internal/pro"
	"chorus/internal/publishing"
	"chorus/internal/ratelimit"
	"chorus/internal/signin"
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
	Logger     *slog.Logger
	// Mail queues messages in the transaction of the change that causes them.
	Mail *mail.Service
	// Notify sends the email members choose: notifications, digests,
	// newsletters, and handles unsubscribing.
	Notify *notify.Service
	// Exporter writes the scoped exports of legal requests.
	Exporter *export.Service

	// SessionIdleTimeout ends a login this long after its last request, and
	// SessionLifetime this long after the login however active (OWASP ASVS
	// 5.0 V7.3.1, V7.3.2). Both bind the session cookie and the member's
	// session rows. Zero takes the defaults: 7 days and 30 days.
	SessionIdleTimeout, SessionLifetime time.Duration

	// ErasureGrace is how long an account waits for erasure when its
	// member chooses to wait; logging in before then cancels it. Zero
	// means 14 days.
	ErasureGrace time.Duration

	// SpamNewAccountAge holds posts with links from accounts younger than
	// this for review; zero turns that signal off.
	SpamNewAccountAge time.Duration

	// BaseURL is the public origin, without a trailing slash.
	BaseURL string
	// MaxUploadBytes is the largest accepted audio file, in bytes.
	MaxUploadBytes int64
	// SignIn are the enabled third-party sign-in providers, in the order
	// of their buttons; none offers password login only.
	SignIn []signin.Provider
	// Analytics commits events in batches; nil records none.
	Analytics *analytics.Ingester
	// GeoIP gives events the country of the client's address and the
	// dashboards their breakdown by country; nil (no --geoip) leaves
	// every country unknown and the breakdown out.
	GeoIP *geoip.DB
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client (see clientAddress); empty ignores the header.
	TrustedProxies []netip.Prefix
	// Vault encrypts and decrypts PRO bank details and tax ids.
	Vault *pro.Vault
	// Pro are the terms of Chorus PRO on this site.
	Pro ProSettings

	// Now is the clock of two-factor codes and pending logins; time.Now
	// when nil. Tests set it, with DB.SetClock, to control time.
	Now func() time.Time
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
	// webauthn is nil when passkeys are off; passkeysOff says why.
	webauthn    *webauthn.WebAuthn
	passkeysOff string
	// limiter slows down guessing (logins, codes, sign-ups).
	limiter *ratelimit.Limiter
	// streams notes what was streamed to whom, to check reported plays.
	streams *streamNotes
	// chartCache keeps computed charts for a few minutes.
	chartCache *chartCache
	// recentPlays reads a member's own recent plays for "for you"; only
	// forYou calls it, after the consent check.
	recentPlays func(ctx context.Context, memberID int64, limit int) ([]int64, error)
}

// New parses every template (failing at start, not at request time) and
// prepares the session manager.
func New(d Deps) (*Server, error) {
	if d.Mail == nil {
		return nil, errors.New("web: Deps.Mail is required (sign-up sends a verification link)")
	}
	if d.Notify == nil {
		d.Notify = &notify.Service{DB: d.DB, Mail: d.Mail, BaseURL: d.BaseURL, Logger: d.Logger}
	}
	if d.Vault == nil {
		return nil, errors.New("web: Deps.Vault is required (PRO bank details are encrypted)")
	}
	s := &Server{Deps: d, passwordSlots: make(chan struct{}, max(2, runtime.NumCPU()))}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.limiter = ratelimit.New(d.DB)
	s.streams = newStreamNotes()
	s.chartCache = &chartCache{entries: map[string]cachedCharts{}}
	s.recentPlays = d.DB.RecentPlays
	s.sessions = scs.New()
	if d.DB.Dialect() == store.Postgres {
		s.sessions.Store = hashedTokens{postgresstore.NewWithCleanupInterval(d.DB.SQL(), 30*time.Minute)}
	} else {
		s.sessions.Store = hashedTokens{sqlite3store.NewWithCleanupInterval(d.DB.SQL(), 30*time.Minute)}
	}
	if s.SessionIdleTimeout <= 0 {
		s.SessionIdleTimeout = defaultSessionIdleTimeout
	}
	if s.SessionLifetime <= 0 {
		s.SessionLifetime = defaultSessionLifetime
	}
	s.sessions.Lifetime = s.SessionLifetime
	s.sessions.IdleTimeout = s.SessionIdleTimeout
	s.sessions.Cookie.Name = "chorus_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = strings.HasPrefix(d.BaseURL, "https://")
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.Logger.Error("session", "err", err)
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
	}
	s.webauthn, s.passkeysOff = newRelyingParty(d.BaseURL)
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
	// SignIn are the sign-in provider buttons of the login and sign-up pages.
	SignIn []signInButton

	Title   string
	Member  *chorus.Member
	Query   string // the search box's current text
	Flash   string
	BaseURL string
	// Path is the request's path, to mark the current page in menus.
	Path string
	// Passkeys is true when members can log in with passkeys here.
	Passkeys bool
	// Consent is the consent banner, nil once a choice is made.
	Consent *consentView
	// Notice is the notice of a new privacy policy version, nil when the
	// member has acknowledged the version in force (or for a visitor).
	Notice *policyNotice
	// Unread is how many notifications the member has not read.
	Unread int
	Data   any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	v := View{Title: title, Member: s.member(r), BaseURL: s.BaseURL, Passkeys: s.webauthn != nil, Path: r.URL.Path, Data: data, Flash: s.sessions.PopString(r.Context(), "flash")}
	if r.URL.Path == "/search" {
		v.Query = r.URL.Query().Get("q")
	}
	v.SignIn = s.signInButtons()
	v.Consent = s.banner(r, v.Member)
	v.Notice = s.notice(r, v.Member)
	if v.Member != nil {
		n, err := s.DB.UnreadNotifications(r.Context(), v.Member.ID)
		if err != nil {
			return err
		}
		v.Unread = n
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	if status == http.StatusOK && r.Method == http.MethodGet && !privatePath(r.URL.Path) {
		s.notePageView(w, r, data)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The banner depends on the browser's privacy signals.
	w.Header().Add("Vary", "Sec-GPC, DNT")
	if v.Member != nil || privatePath(r.URL.Path) {
		// Pages with personal data must not be kept by browsers or
		// shared caches (OWASP ASVS 5.0 V14.3.2).
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, err := w.Write([]byte(buf.String()))
	return err
}

// privatePath reports whether pages under path hold personal data or
// secrets even for a visitor (forms with tokens, the login page).
func privatePath(path string) bool {
	for _, p := range []string{"/settings", "/studio", "/admin", "/login", "/signup", "/reset", "/verify", "/auth/", "/members/", "/privacy/", "/notifications", "/feed"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
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
		tooMany(w, err) // Retry-After
		if status >= 500 {
			s.Logger.Error("request failed", "method", r.Method, "path", loggedPath(r), "err", err)
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

// loggedPath is the path of r as a log line may hold it: the route's
// pattern instead when the path names a member ({username}) or carries a
// secret ({token}), since logs name members by id only.
func loggedPath(r *http.Request) string {
	if r.PathValue("username") != "" || r.PathValue("token") != "" {
		return r.Pattern
	}
	return r.URL.Path
}

func classify(err error) (int, string) {
	var inv *chorus.InvalidError
	var safe *chorus.SafeError
	var refused *publishing.RefusedError
	var wait *ratelimit.TooManyError
	switch {
	case errors.As(err, &wait):
		return http.StatusTooManyRequests, wait.Error()
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity, inv.Summary()
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
