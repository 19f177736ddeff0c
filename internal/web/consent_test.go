package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"chorus/internal/consent"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestConsented asks the one question features ask, "may I use purpose P
// for this request?", for a visitor without a choice, a visitor who chose
// through the form, with and without Global Privacy Control and Do Not
// Track, with a forged cookie, and for a member who inherits the visitor's
// choice at login and then changes it.
func TestConsented(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, err := New(Deps{DB: db, BaseURL: "http://127.0.0.1", Mail: testMail(t, db, "http://127.0.0.1"), Vault: testVault(t)})
		if err != nil {
			t.Fatal(err)
		}
		site := srv.Handler()
		var answers map[consent.Purpose]bool
		probe := srv.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if name := r.URL.Query().Get("login"); name != "" {
				m, err := db.MemberByLogin(r.Context(), name)
				if err == nil {
					err = srv.startSession(r, m.ID)
				}
				if err != nil {
					t.Errorf("log in %s: %v", name, err)
				}
				return
			}
			answers = map[consent.Purpose]bool{}
			for _, p := range consent.Purposes {
				answers[p] = srv.consented(r, p)
			}
		}))
		ask := func(cookies string, header ...string) map[consent.Purpose]bool {
			t.Helper()
			req := httptest.NewRequest(http.MethodGet, "/probe", nil)
			req.Header.Set("Cookie", cookies)
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			probe.ServeHTTP(httptest.NewRecorder(), req)
			return answers
		}
		choose := func(cookies string, form url.Values) *http.Response {
			t.Helper()
			req := httptest.NewRequest(http.MethodPost, "/privacy/consent", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", cookies)
			rec := httptest.NewRecorder()
			site.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("choose %v: %d %s", form, rec.Code, rec.Body)
			}
			return rec.Result()
		}
		want := func(what string, got map[consent.Purpose]bool, yes ...consent.Purpose) {
			t.Helper()
			for _, p := range consent.Purposes {
				w := false
				for _, y := range yes {
					w = w || y == p
				}
				if got[p] != w {
					t.Errorf("%s: consented(%s) = %v, want %v", what, p, got[p], w)
				}
			}
		}

		want("a visitor who has not chosen", ask(""))
		resp := choose("", url.Values{"choice": {"save"}, "purpose": {"analytics", "sharing"}, "return": {"/"}})
		var id string
		for _, c := range resp.Cookies() {
			if c.Name == consent.ConsentCookie {
				id = c.Value
			} else {
				t.Errorf("choosing set the cookie %s", c.Name)
			}
		}
		if id == "" {
			t.Fatal("choosing set no consent cookie")
		}
		visitor := consent.ConsentCookie + "=" + id
		want("a visitor who chose analytics and sharing", ask(visitor), consent.Analytics, consent.Sharing)
		want("with Global Privacy Control", ask(visitor, "Sec-GPC", "1"), consent.Sharing)
		want("with Do Not Track", ask(visitor, "DNT", "1"), consent.Sharing)
		want("a forged cookie", ask(consent.ConsentCookie+"=ffffffffffffffffffffffffffffffff"))
		want("a malformed cookie", ask(consent.ConsentCookie+"='; DROP TABLE consent_records; --"))

		// Signing up or logging in on this browser carries the choice over.
		if err := db.Tx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.CreateMember(context.Background(), store.NewMember{Email: "c@example.org", Username: "chooser", PasswordHash: "x"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/probe?login=chooser", nil)
		req.Header.Set("Cookie", visitor)
		rec := httptest.NewRecorder()
		probe.ServeHTTP(rec, req)
		var session string
		for _, c := range rec.Result().Cookies() {
			if c.Name == "chorus_session" {
				session = c.Name + "=" + c.Value
			}
		}
		if session == "" {
			t.Fatal("no session after login")
		}
		want("the member, after logging in", ask(session), consent.Analytics, consent.Sharing)
		// The member withdraws; the member's choice counts, not the browser's.
		choose(session+"; "+visitor, url.Values{"choice": {"refuse"}, "from": {"settings"}, "return": {"/settings/privacy"}})
		want("the member, after refusing", ask(session+"; "+visitor))
		want("the browser, logged out", ask(visitor), consent.Analytics, consent.Sharing)
	})
}
