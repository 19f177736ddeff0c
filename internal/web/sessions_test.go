package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// testClock is a clock the test moves while the server reads it.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// sessionClient is a cookie-keeping client that does not follow redirects.
type sessionClient struct {
	t    *testing.T
	base string
	c    *http.Client
	ua   string
}

func newSessionClient(t *testing.T, base, ua string) *sessionClient {
	jar, _ := cookiejar.New(nil)
	return &sessionClient{t: t, base: base, ua: ua, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *sessionClient) send(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", b.ua)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// loggedIn reports whether the browser's session still counts: the
// sessions page answers instead of sending to the login page.
func (b *sessionClient) loggedIn() bool {
	b.t.Helper()
	resp, body := b.send(http.MethodGet, "/settings/sessions", nil)
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
		return false
	}
	b.t.Fatalf("sessions page: %d %s", resp.StatusCode, body)
	return false
}

func (b *sessionClient) login(username string) {
	b.t.Helper()
	resp, body := b.send(http.MethodPost, "/login", url.Values{"login": {username}, "password": {"a long password"}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
}

// startTestServer serves a Server on db with the given timeouts.
func startTestServer(t *testing.T, db *store.DB, idle, lifetime time.Duration) (*Server, string) {
	t.Helper()
	srv, err := New(Deps{DB: db, BaseURL: "http://127.0.0.1", SessionIdleTimeout: idle, SessionLifetime: lifetime, Mail: testMail(t, db, "http://127.0.0.1"), Vault: testVault(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

const firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

func TestSessionTimeoutsEnforced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := newTestClock()
		db.SetClock(clock.now)
		srv, base := startTestServer(t, db, time.Hour, 3*time.Hour)
		if srv.sessions.IdleTimeout != time.Hour || srv.sessions.Lifetime != 3*time.Hour {
			t.Fatalf("session cookie timeouts: idle %v, lifetime %v", srv.sessions.IdleTimeout, srv.sessions.Lifetime)
		}
		ana := newSessionClient(t, base, firefoxLinux)
		resp, body := ana.send(http.MethodPost, "/signup", url.Values{"email": {"ana@example.org"}, "username": {"ana"}, "password": {"a long password"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signup: %d %s", resp.StatusCode, body)
		}
		if !ana.loggedIn() {
			t.Fatal("not logged in after sign-up")
		}

		// Idle longer than the idle timeout: logged out, and the row is gone.
		clock.advance(time.Hour + 2*time.Minute)
		if ana.loggedIn() {
			t.Fatal("still logged in after the idle timeout")
		}
		m, _, err := db.ProfileByUsername(context.Background(), "ana")
		if err != nil {
			t.Fatal(err)
		}
		if list, err := db.ListMemberSessions(context.Background(), m.ID, store.SessionLimits{}); err != nil || len(list) != 0 {
			t.Fatalf("sessions left after the idle timeout: %+v, %v", list, err)
		}

		// Active all along, a login still ends at the lifetime.
		ana.login("ana")
		for range 3 {
			clock.advance(50 * time.Minute)
			if !ana.loggedIn() {
				t.Fatalf("logged out while active, before the lifetime")
			}
		}
		clock.advance(40 * time.Minute) // 3 h 10 min after the login
		if ana.loggedIn() {
			t.Fatal("still logged in after the session lifetime")
		}

		// The hourly sweep deletes logins nobody came back to.
		ana.login("ana")
		clock.advance(2 * time.Hour)
		if n, err := srv.DeleteExpiredSessions(context.Background()); err != nil || n != 1 {
			t.Fatalf("swept %d expired sessions, %v; want 1", n, err)
		}
	})
}

func TestEndingSessionsNeedsARecentLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := newTestClock()
		db.SetClock(clock.now)
		_, base := startTestServer(t, db, 24*time.Hour, 48*time.Hour)
		ana := newSessionClient(t, base, firefoxLinux)
		resp, body := ana.send(http.MethodPost, "/signup", url.Values{"email": {"ana@example.org"}, "username": {"ana"}, "password": {"a long password"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signup: %d %s", resp.StatusCode, body)
		}
		phone := newSessionClient(t, base, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
		phone.login("ana")

		clock.advance(recentLoginToEndSessions + time.Minute)
		_, page := ana.send(http.MethodGet, "/settings/sessions", nil)
		if !strings.Contains(page, "Confirm it is you") || !strings.Contains(page, `action="/settings/sessions/confirm"`) {
			t.Errorf("the sessions page does not ask for the password after %v", recentLoginToEndSessions)
		}
		resp, body = ana.send(http.MethodPost, "/settings/sessions/end-others", nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "confirm it is you first") {
			t.Fatalf("ending other sessions without a recent login: %d", resp.StatusCode)
		}
		if !phone.loggedIn() {
			t.Fatal("the other session was ended without the password")
		}
		resp, body = ana.send(http.MethodPost, "/settings/sessions/confirm", url.Values{"password": {"not the password"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "That is not your password") {
			t.Fatalf("confirming with a wrong password: %d", resp.StatusCode)
		}
		resp, _ = ana.send(http.MethodPost, "/settings/sessions/confirm", url.Values{"password": {"a long password"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirming with the password: %d", resp.StatusCode)
		}
		resp, _ = ana.send(http.MethodPost, "/settings/sessions/end-others", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ending other sessions after confirming: %d", resp.StatusCode)
		}
		if phone.loggedIn() {
			t.Error("the other session still counts after it was ended")
		}
		if !ana.loggedIn() {
			t.Error("ending the other sessions ended this one")
		}
	})
}

func TestRecentLoginHelpers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := newTestClock()
		db.SetClock(clock.now)
		srv, err := New(Deps{DB: db, BaseURL: "http://127.0.0.1", Mail: testMail(t, db, "http://127.0.0.1"), Vault: testVault(t)})
		if err != nil {
			t.Fatal(err)
		}
		if srv.sessions.IdleTimeout != defaultSessionIdleTimeout || srv.sessions.Lifetime != defaultSessionLifetime {
			t.Errorf("default timeouts: idle %v, lifetime %v", srv.sessions.IdleTimeout, srv.sessions.Lifetime)
		}
		var m chorus.Member
		err = db.Tx(context.Background(), func(tx *store.Tx) error {
			m, err = tx.CreateMember(context.Background(), store.NewMember{Email: "ana@example.org", Username: "ana", PasswordHash: "x"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// A handler logs in, then later ones read and renew the proof of identity.
		var agos []time.Duration
		h := srv.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/login":
				err = srv.startSession(r, m.ID)
			case "/ago":
				var ago time.Duration
				ago, err = srv.authenticatedAgo(r)
				agos = append(agos, ago)
			case "/reauth":
				err = srv.markAuthenticated(r)
			}
			if err != nil {
				t.Errorf("%s: %v", r.URL.Path, err)
			}
		}))
		var cookie string
		do := func(path string) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if c := rec.Result().Cookies(); len(c) > 0 {
				cookie = c[0].Name + "=" + c[0].Value
			}
		}
		do("/login")
		clock.advance(20 * time.Minute)
		do("/ago")
		do("/reauth")
		clock.advance(30 * time.Second)
		do("/ago")
		if len(agos) != 2 || agos[0] != 20*time.Minute || agos[1] != 30*time.Second {
			t.Errorf("time since authentication: %v, want [20m 30s]", agos)
		}
		// A visitor has no session to ask about.
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		srv.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := srv.authenticatedAgo(r); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("a visitor's time since authentication: %v", err)
			}
		})).ServeHTTP(httptest.NewRecorder(), req)
	})
}
