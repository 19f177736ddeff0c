package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"chorus/internal/datamap"
	"chorus/internal/notify"
	"chorus/internal/signin/signintest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// openStore opens the database of a running instance, closed when t ends.

// startOIDC leaves Chorus for the provider (after its consent page),
// logs in there as username, and returns the URL the provider sends the
// browser back to, without following it.
func startOIDC(t *testing.T, c *client, idp *signintest.OP, intent, username string) *url.URL {
	t.Helper()
	path := "/auth/oidc"
	if intent == "link" {
		path += "?intent=link"
	}
	resp, body := c.get(path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Continue to Test ID") {
		t.Fatalf("consent page: %d", resp.StatusCode)
	}
	resp, _ = c.postForm("/auth/oidc", url.Values{"intent": {intent}, "next": {"/studio"}})
	authURL := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(authURL, idp.URL) {
		t.Fatalf("start: %d to %q", resp.StatusCode, authURL)
	}
	back, err := idp.LogIn(c.http, authURL, username, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back.String(), c.base+"/auth/oidc/callback?") {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	return back
}

// signInOIDC runs a whole flow and returns Chorus's answer to the callback.
func signInOIDC(t *testing.T, c *client, idp *signintest.OP, intent, username string) (*http.Response, string) {
	t.Helper()
	back := startOIDC(t, c, idp, intent, username)
	req, _ := http.NewRequest(http.MethodGet, back.String(), nil)
	resp, body := c.do(req)
	return resp, string(body)
}

// loggedInAs returns the username in the page header, or "" for a visitor.
func loggedInAs(t *testing.T, c *client) string {
	t.Helper()
	_, body := c.get("/licences")
	_, after, ok := strings.Cut(string(body), `title="Log out `)
	if !ok {
		return ""
	}
	return after[:strings.Index(after, `"`)]
}

func TestSignInWithOpenIDConnect(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testSignInWithOpenIDConnect(t, d) })
	}
}

func testSignInWithOpenIDConnect(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	idp := signintest.New(t)
	idp.AddUser(signintest.User{Subject: "sub-ana", Username: "ana", Password: "secret", Email: "ana@idp.example", EmailVerified: true, Name: "Ana Lima"})
	idp.AddUser(signintest.User{Subject: "sub-bob", Username: "bob", Password: "secret", Email: "bob@example.org", EmailVerified: true, Name: "Bob"})
	// Eve claims Bob's address at a provider that did not verify it.
	idp.AddUser(signintest.User{Subject: "sub-eve", Username: "eve", Password: "secret", Email: "bob@example.org", EmailVerified: false, Name: "Eve"})
	srv := startServer(t, d, "--oidc-issuer", idp.URL, "--oidc-client-id", "chorus", "--oidc-client-secret", "s3cret", "--oidc-name", "Test ID")
	idp.AddClient("chorus", "s3cret", srv.URL+"/auth/oidc/callback")
	db := openStore(t, srv.DBURL)

	// The login page offers the provider; its consent page says what is taken.
	ana := newClient(t, srv.URL)
	if _, body := ana.get("/login"); !strings.Contains(string(body), `href="/auth/oidc?next=%2fstudio"`) || !strings.Contains(string(body), "Continue with Test ID") {
		t.Fatalf("login page has no Test ID button")
	}
	resp, body := ana.get("/auth/oidc")
	for _, want := range []string{"Your account ID at Test ID", "Your email address, and whether Test ID has verified it", "Your name",
		"The address of your profile picture", "never shown to other members", "We keep exactly these"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("consent page Cache-Control %q", resp.Header.Get("Cache-Control"))
	}

	t.Run("sign up", func(t *testing.T) {
		resp, _ := signInOIDC(t, ana, idp, "login", "ana")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/oidc/signup" {
			t.Fatalf("callback for a new member: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// A processor outside the EU/EEA: the form asks about the transfer.
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveProcessor(ctx, datamap.Registered{Name: "Far Pictures", Service: "picture resizing", Country: "US",
				Categories: []datamap.Category{datamap.Name}, Purpose: "resize profile pictures"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		resp, body := ana.get("/auth/oidc/signup")
		for _, want := range []string{`value="Ana.Lima"`, "ana@idp.example", "(verified by Test ID)", "sub-ana", "Ana Lima",
			`you accept the <a href="/privacy">privacy policy</a> (version 2026-11-01)`, `name="transfers" type="checkbox" value="yes" aria-describedby`,
			"Far Pictures (picture resizing, in US)", "its service (picture resizing) is not available to you"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("sign-up form lacks %q", want)
			}
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("sign-up form Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		if strings.Contains(string(body), `name="email"`) {
			t.Error("the form asks for an email the provider gave")
		}
		// A bad username: 422, a message, and the typed text kept as text.
		resp, body = ana.postForm("/auth/oidc/signup", url.Values{"username": {"<b>ana</b>"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Use letters, digits") ||
			!strings.Contains(string(body), `value="&lt;b&gt;ana&lt;/b&gt;"`) {
			t.Fatalf("bad username: %d", resp.StatusCode)
		}
		if !strings.Contains(string(body), `name="newsletter" value="on">`) {
			t.Error("the provider sign-up form lacks the unticked newsletter box")
		}
		resp, _ = ana.postForm("/auth/oidc/signup", url.Values{"username": {"ana"}, "newsletter": {"on"}, "transfers": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
			t.Fatalf("finish sign-up: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := loggedInAs(t, ana); got != "ana" {
			t.Fatalf("logged in as %q after sign-up", got)
		}
		m, err := db.MemberByLogin(ctx, "ana")
		if err != nil {
			t.Fatal(err)
		}
		if m.Email != "ana@idp.example" || !m.EmailVerified || m.HasPassword {
			t.Errorf("member %+v: want the provider's verified email and no password", m)
		}
		if p, err := (&notify.Service{DB: db}).Preferences(ctx, m.ID); err != nil || p[notify.Newsletter] != notify.Immediate {
			t.Errorf("newsletter box ticked at sign-up: %v %v", p, err)
		}
		if acks := acknowledgements(t, db, "ana"); len(acks) != 1 || acks[0].Event != store.AckSignUp || acks[0].PolicyVersion != "2026-11-01" ||
			acks[0].Transfers != store.TransfersGiven {
			t.Errorf("acceptance at provider sign-up: %+v", acks)
		}
		ident, err := db.IdentityBySubject(ctx, "oidc", "sub-ana")
		if err != nil || ident.MemberID != m.ID || ident.Email != "ana@idp.example" || !ident.EmailVerified || ident.DisplayName != "Ana Lima" {
			t.Errorf("identity %+v %v", ident, err)
		}
		// The sign-up cannot be replayed.
		if resp, _ := ana.postForm("/auth/oidc/signup", url.Values{"username": {"ana2"}}); resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != "/signup" {
			t.Errorf("second sign-up post: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("password login refuses an account without a password", func(t *testing.T) {
		c := newClient(t, srv.URL)
		for _, pw := range []string{"", "anything"} {
			if resp, _ := c.postForm("/login", url.Values{"login": {"ana"}, "password": {pw}}); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("password %q for a provider-only account: %d, want 401", pw, resp.StatusCode)
			}
		}
	})

	t.Run("sign in again lands on the same member", func(t *testing.T) {
		c := newClient(t, srv.URL)
		resp, _ := signInOIDC(t, c, idp, "login", "ana")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
			t.Fatalf("second sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := loggedInAs(t, c); got != "ana" {
			t.Fatalf("logged in as %q", got)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM members`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d members after signing in twice (%v), want 1", n, err)
		}
	})

	bob := signUpArtist(t, srv.URL, "bob", "Bob Band") // bob@example.org, with a password

	t.Run("existing email must log in then link", func(t *testing.T) {
		for _, who := range []string{"bob", "eve"} { // verified by the provider, and not
			c := newClient(t, srv.URL)
			resp, body := signInOIDC(t, c, idp, "login", who)
			if resp.StatusCode != http.StatusConflict ||
				!strings.Contains(body, "An account with this email exists: log in with your password, then link Test ID from settings.") {
				t.Fatalf("%s: %d, want 409 with the log-in-then-link message", who, resp.StatusCode)
			}
			if got := loggedInAs(t, c); got != "" {
				t.Fatalf("%s is logged in as %q", who, got)
			}
		}
		m, _ := db.MemberByLogin(ctx, "bob")
		if ids, err := db.Identities(ctx, m.ID); err != nil || len(ids) != 0 {
			t.Fatalf("bob's account got identities %+v %v", ids, err)
		}
	})

	t.Run("link from settings, then sign in with it", func(t *testing.T) {
		resp, body := bob.get("/settings/connections")
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Not linked") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("connections before linking: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		resp, _ = signInOIDC(t, bob, idp, "link", "bob")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/connections" {
			t.Fatalf("link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = bob.get("/settings/connections")
		for _, want := range []string{"Test ID is now linked", "Linked on", "sub-bob", "bob@example.org (verified by Test ID)", "Unlink Test ID"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("connections after linking lack %q", want)
			}
		}
		c := newClient(t, srv.URL)
		if resp, _ := signInOIDC(t, c, idp, "login", "bob"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in after linking: %d", resp.StatusCode)
		}
		if got := loggedInAs(t, c); got != "bob" {
			t.Fatalf("logged in as %q, want bob", got)
		}
	})

	t.Run("unlink", func(t *testing.T) {
		// Ana has no password and one provider: refused, clearly.
		resp, body := ana.postForm("/settings/connections/oidc/unlink", nil)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "Test ID is the only way you can log in to your account, so it cannot be unlinked.") {
			t.Fatalf("unlink the last way to log in: %d", resp.StatusCode)
		}
		if _, err := db.IdentityBySubject(ctx, "oidc", "sub-ana"); err != nil {
			t.Fatalf("identity gone after a refused unlink: %v", err)
		}
		// Bob has a password: unlinked, and what was kept is deleted.
		resp, _ = bob.postForm("/settings/connections/oidc/unlink", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlink with a password: %d", resp.StatusCode)
		}
		if _, err := db.IdentityBySubject(ctx, "oidc", "sub-bob"); err == nil {
			t.Fatal("identity kept after unlink")
		}
		if _, body := bob.get("/settings/connections"); !strings.Contains(string(body), "Not linked") || strings.Contains(string(body), "sub-bob") {
			t.Error("connections page still shows the unlinked account")
		}
		// Visitors are sent to log in; they unlink nothing.
		if resp, _ := newClient(t, srv.URL).postForm("/settings/connections/oidc/unlink", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("visitor unlink: %d", resp.StatusCode)
		}
	})

	t.Run("state mismatch refused", func(t *testing.T) {
		c := newClient(t, srv.URL)
		back := startOIDC(t, c, idp, "login", "ana")
		q := back.Query()
		q.Set("state", "forged-"+q.Get("state"))
		back.RawQuery = q.Encode()
		req, _ := http.NewRequest(http.MethodGet, back.String(), nil)
		resp, body := c.do(req)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "was not started in this browser") {
			t.Fatalf("forged state: %d", resp.StatusCode)
		}
		if got := loggedInAs(t, c); got != "" {
			t.Fatalf("forged state logged in as %q", got)
		}
		// The person declines at the provider (RFC 6749 §4.1.2.1): back to
		// the login page, told so, nothing changed.
		back = startOIDC(t, c, idp, "login", "ana")
		back.RawQuery = url.Values{"state": {back.Query().Get("state")}, "error": {"access_denied"}}.Encode()
		req, _ = http.NewRequest(http.MethodGet, back.String(), nil)
		if resp, _ := c.do(req); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("declined: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := c.get("/login"); !strings.Contains(string(body), "did not go through, so nothing was changed") {
			t.Error("declined sign-in: no message")
		}
		// An answer brought to another browser (login CSRF) is refused too.
		back = startOIDC(t, newClient(t, srv.URL), idp, "login", "ana")
		req, _ = http.NewRequest(http.MethodGet, back.String(), nil)
		if resp, _ := c.do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("callback in a browser that did not start the flow: %d", resp.StatusCode)
		}
	})

	t.Run("tampered or misaddressed ID token refused", func(t *testing.T) {
		for name, rewrite := range map[string]func(string) string{
			"tampered": func(tok string) string { // Eve's token claiming to be Ana
				c := signintest.Claims(tok)
				c["sub"] = "sub-ana"
				return signintest.ReplaceClaims(tok, c)
			},
			"audience": func(tok string) string { // a real token, for another site
				c := signintest.Claims(tok)
				c["aud"] = "another-site"
				return idp.Sign(c)
			},
		} {
			idp.RewriteIDTokens(rewrite)
			c := newClient(t, srv.URL)
			resp, body := signInOIDC(t, c, idp, "login", "eve")
			idp.RewriteIDTokens(nil)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "We could not verify the answer from Test ID") {
				t.Fatalf("%s ID token: %d", name, resp.StatusCode)
			}
			if got := loggedInAs(t, c); got != "" {
				t.Fatalf("%s ID token logged in as %q", name, got)
			}
		}
	})

	if _, err := db.MemberByLogin(ctx, "eve"); err == nil {
		t.Error("an account was created for eve")
	}
}
