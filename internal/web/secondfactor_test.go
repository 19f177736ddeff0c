package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/ratelimit"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// authClock is a clock that moves only when a test says so; the server's
// Deps.Now and the database's clock both read it.
type authClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *authClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *authClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// authEnv is the real web surface on a real database, with a controlled
// clock. A request's client address is taken from its X-Test-Client
// header, so that a test can speak from several addresses.
type authEnv struct {
	t     *testing.T
	db    *store.DB
	srv   *Server
	clock *authClock
	url   string
}

func newAuthEnv(t *testing.T, db *store.DB) *authEnv {
	t.Helper()
	clk := &authClock{t: time.Date(2031, 3, 4, 10, 0, 5, 0, time.UTC)}
	db.SetClock(clk.Now)
	s, err := New(Deps{DB: db, BaseURL: "http://chorus.test:8080", Now: clk.Now, Mail: testMail(t, db, "http://chorus.test:8080"), Vault: testVault(t)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := r.Header.Get("X-Test-Client"); ip != "" {
			r.RemoteAddr = ip + ":40000"
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return &authEnv{t: t, db: db, srv: s, clock: clk, url: ts.URL}
}

// addMember creates a member with a password.
func (e *authEnv) addMember(username, password string) chorus.Member {
	e.t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	var m chorus.Member
	err = e.db.Tx(context.Background(), func(tx *store.Tx) error {
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: hash})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// authBrowser is one browser: its cookies and its client address.
type authBrowser struct {
	e  *authEnv
	ip string
	c  *http.Client
}

func (e *authEnv) browser(ip string) *authBrowser {
	jar, _ := cookiejar.New(nil)
	return &authBrowser{e: e, ip: ip, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type authResponse struct {
	Status int
	Header http.Header
	Body   string
}

func (b *authBrowser) do(method, path string, form url.Values) authResponse {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Test-Client", b.ip)
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return authResponse{Status: resp.StatusCode, Header: resp.Header, Body: html.UnescapeString(string(raw))}
}

// sessionCookie is the browser's session token, "" when it has none.
func (b *authBrowser) sessionCookie() string {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "chorus_session" {
			return c.Value
		}
	}
	return ""
}

func (b *authBrowser) get(path string) authResponse { return b.do(http.MethodGet, path, nil) }
func (b *authBrowser) post(path string, kv ...string) authResponse {
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	return b.do(http.MethodPost, path, form)
}

// login posts the login form and returns the answer.
func (b *authBrowser) login(user, password string) authResponse {
	return b.post("/login", "login", user, "password", password, "next", "/studio")
}

func (r authResponse) expect(t *testing.T, what string, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%.3000s", what, r.Status, status, r.Body)
	}
	for _, c := range contains {
		if !strings.Contains(r.Body, c) {
			t.Fatalf("%s: the page lacks %q\n%.3000s", what, c, r.Body)
		}
	}
}

func (r authResponse) location() string { return r.Header.Get("Location") }

// code is the TOTP code of secret at the clock's time plus offset.
func (e *authEnv) code(secret string, offset time.Duration) string {
	e.t.Helper()
	c, err := auth.TOTPCode(secret, e.clock.Now().Add(offset))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

var (
	secretRe   = regexp.MustCompile(`<p class="secret"><code>([A-Z2-7 ]+)</code>`)
	qrRe       = regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)
	otpauthRe  = regexp.MustCompile(`href="(otpauth://totp/[^"]+)"`)
	recoveryRe = regexp.MustCompile(`<li><code>([0-9a-z]{4}(?:-[0-9a-z]{4}){5})</code></li>`)
)

// enable2FA sets up two-factor for a logged-in browser and returns the
// secret and the recovery codes.
func (b *authBrowser) enable2FA(password string) (string, []string) {
	t := b.e.t
	t.Helper()
	if r := b.post("/settings/security/setup"); r.Status != http.StatusSeeOther {
		t.Fatalf("setup: %d", r.Status)
	}
	page := b.get("/settings/security")
	m := secretRe.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no secret on the setup page\n%s", page.Body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	r := b.post("/settings/security/enable", "password", password, "code", b.e.code(secret, 0))
	r.expect(t, "enable", http.StatusOK, "Your recovery codes")
	var codes []string
	for _, m := range recoveryRe.FindAllStringSubmatch(r.Body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), auth.RecoveryCodeCount)
	}
	return secret, codes
}

func TestTwoFactorSetup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		ana := e.addMember("ana", "ana's password")
		b := e.browser("192.0.2.10")

		// Visitors are sent to the login page.
		if r := b.get("/settings/security"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Fatalf("visitor: %d %s", r.Status, r.location())
		}
		b.login("ana", "ana's password").expect(t, "login", http.StatusSeeOther)

		// Off: the page says so and offers to set it up; it is never cached.
		r := b.get("/settings/security")
		r.expect(t, "settings page", http.StatusOK, `href="/settings/security"`, "is <strong>off</strong>", "Set up two-factor authentication")
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		// Confirming without a setup started goes back to the page.
		if r := b.post("/settings/security/enable", "password", "ana's password", "code", "123456"); r.Status != http.StatusSeeOther {
			t.Fatalf("enable without setup: %d", r.Status)
		}

		if r := b.post("/settings/security/setup"); r.Status != http.StatusSeeOther {
			t.Fatalf("setup: %d", r.Status)
		}
		page := b.get("/settings/security")
		page.expect(t, "setup page", http.StatusOK, "Add Chorus to your authenticator app", "Confirm with a code")
		secret := strings.ReplaceAll(secretRe.FindStringSubmatch(page.Body)[1], " ", "")
		// The QR code is a PNG drawn here, black on white with a quiet zone.
		png64 := qrRe.FindStringSubmatch(page.Body)
		if png64 == nil {
			t.Fatal("no QR code image")
		}
		raw, _ := base64.StdEncoding.DecodeString(png64[1])
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("QR code: %v", err)
		}
		bounds := img.Bounds()
		if bounds.Dx() != bounds.Dy() || bounds.Dx() < 100 {
			t.Fatalf("QR code is %v", bounds)
		}
		if r, _, _, _ := img.At(2, 2).RGBA(); r != 0xffff {
			t.Error("QR code has no white quiet zone")
		}
		if r, _, _, _ := img.At(16, 16).RGBA(); r != 0 { // the top-left finder pattern, after 4 modules of 4 px
			t.Error("QR code has no finder pattern where it should")
		}
		// The same secret is in the otpauth:// link, with our issuer.
		link := otpauthRe.FindStringSubmatch(page.Body)
		u, err := url.Parse(link[1])
		if link == nil || err != nil || u.Query().Get("secret") != secret || u.Query().Get("issuer") != "Chorus (chorus.test)" {
			t.Fatalf("otpauth link %v: %v (secret %s)", link, err, secret)
		}
		// The pending secret is not stored on the member until confirmed.
		if tf, _ := db.TwoFactor(context.Background(), ana.ID); tf.Secret != "" {
			t.Fatal("the secret was stored before confirmation")
		}

		// Wrong input: a message on the field, and 2FA stays off.
		for _, c := range []struct{ password, code, field, msg string }{
			{"ana's password", "", "enable-code", "Enter the 6-digit code"},
			{"ana's password", e.code(secret, 2*time.Minute), "enable-code", "That code is not right"},
			{"ana's password", "<b>x</b>" + strings.Repeat("9", 5000), "enable-code", "That code is not right"},
			{"ana's password", "12\x0034\xff56", "enable-code", "That code is not right"},
			{"wrong password", e.code(secret, 0), "enable-password", "That is not your password"},
			{"", e.code(secret, 0), "enable-password", "Enter your password"},
		} {
			r := b.post("/settings/security/enable", "password", c.password, "code", c.code)
			r.expect(t, "enable with "+c.field+" wrong", http.StatusUnprocessableEntity, c.msg, `id="err-`+c.field+`"`)
			if strings.Contains(r.Body, "<b>x</b>") || strings.Contains(r.Body, c.password+`"`) && c.password != "" {
				t.Fatal("the form echoed what was typed in a secret field")
			}
		}
		if m, _ := db.Member(context.Background(), ana.ID); m.TOTP {
			t.Fatal("wrong input turned two-factor on")
		}

		// The right code turns it on and shows ten codes once; only their
		// hashes are stored.
		r = b.post("/settings/security/enable", "password", "ana's password", "code", e.code(secret, 0))
		r.expect(t, "enable", http.StatusOK, "Two-factor authentication is on", "shown only this once")
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("recovery codes page Cache-Control %q", cc)
		}
		codes := recoveryRe.FindAllStringSubmatch(r.Body, -1)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		tf, err := db.TwoFactor(context.Background(), ana.ID)
		if err != nil || tf.Secret != secret || tf.RecoveryCodesLeft != 10 || tf.LastStep != auth.TOTPStep(e.clock.Now()) {
			t.Fatalf("stored state %+v, %v", tf, err)
		}
		rows, err := db.SQL().Query(`SELECT code_hash FROM recovery_codes`)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, c := range codes {
			want[auth.RecoveryCodeHash(c[1])] = true
		}
		n := 0
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			if !want[h] {
				t.Fatalf("stored %q is not the hash of a shown code", h)
			}
			n++
		}
		rows.Close()
		if n != len(codes) {
			t.Fatalf("%d codes stored, want %d", n, len(codes))
		}
		// On: the page shows the count and both forms, not the setup.
		b.get("/settings/security").expect(t, "page when on", http.StatusOK, "is <strong>on</strong> since 4 March 2031",
			"10 unused recovery codes", "Make new recovery codes", "Turn off two-factor authentication")
	})
}

func TestTwoFactorLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		e.addMember("ana", "ana's password")
		b := e.browser("192.0.2.10")
		b.login("ana", "ana's password").expect(t, "login", http.StatusSeeOther)
		secret, codes := b.enable2FA("ana's password")
		b.post("/logout")

		// The password alone leads to the code form, and is not a login.
		// Each step gives the session a new token (no fixation).
		b.login("ana", "ana's password")
		first := b.sessionCookie()
		r := b.login("ana", "ana's password")
		if pending := b.sessionCookie(); first == "" || pending == first {
			t.Fatalf("session token %q after a second password, %q before", pending, first)
		}
		if r.Status != http.StatusSeeOther || r.location() != "/login/code" {
			t.Fatalf("password of a 2FA member: %d to %q", r.Status, r.location())
		}
		for _, path := range []string{"/studio", "/settings/security"} {
			if r := b.get(path); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?") {
				t.Fatalf("%s while the code is pending: %d %s", path, r.Status, r.location())
			}
		}
		if r := b.get("/"); strings.Contains(r.Body, "Log out") {
			t.Fatal("the pending login shows as logged in")
		}
		form := b.get("/login/code")
		form.expect(t, "code form", http.StatusOK, "Two-factor authentication", `autocomplete="one-time-code"`)
		if form.Header.Get("Cache-Control") != "no-store" {
			t.Error("code form is cacheable")
		}

		// The code used to turn 2FA on is of this time step: a replay.
		b.post("/login/code", "code", e.code(secret, 0)).expect(t, "replayed code", http.StatusUnprocessableEntity, "already used")
		b.post("/login/code", "code", "000000x").expect(t, "malformed code", http.StatusUnprocessableEntity, "That is not a code")
		wrong := "000000"
		if wrong == e.code(secret, 30*time.Second) || wrong == e.code(secret, -30*time.Second) {
			wrong = "111111"
		}
		b.post("/login/code", "code", wrong).expect(t, "wrong code", http.StatusUnprocessableEntity, "That code is not right")
		// The next step's code (a phone clock one step ahead) is accepted.
		pending := b.sessionCookie()
		r = b.post("/login/code", "code", e.code(secret, 30*time.Second))
		if r.Status != http.StatusSeeOther || r.location() != "/studio" {
			t.Fatalf("right code: %d to %q\n%s", r.Status, r.location(), r.Body)
		}
		if b.sessionCookie() == pending {
			t.Fatal("the session token did not change at login")
		}
		b.get("/studio").expect(t, "studio after login", http.StatusOK)
		b.post("/logout")

		// The same code again, in a new login: refused.
		b.login("ana", "ana's password")
		b.post("/login/code", "code", e.code(secret, 30*time.Second)).expect(t, "code reused", http.StatusUnprocessableEntity, "already used")
		// A recovery code works once, typed in any case and spacing.
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
		r = b.post("/login/code", "code", typed)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("recovery code: %d\n%s", r.Status, r.Body)
		}
		b.get("/studio").expect(t, "after recovery code", http.StatusOK, "You logged in with a recovery code", "9 recovery codes left")
		b.post("/logout")
		b.login("ana", "ana's password")
		b.post("/login/code", "code", codes[3]).expect(t, "recovery code reused", http.StatusUnprocessableEntity, "already used")

		// A pending login expires after five minutes.
		e.clock.Advance(5*time.Minute + time.Second)
		r = b.post("/login/code", "code", e.code(secret, 0))
		if r.Status != http.StatusSeeOther || r.location() != "/login" {
			t.Fatalf("expired pending login: %d to %q", r.Status, r.location())
		}
		b.get("/login").expect(t, "login after expiry", http.StatusOK, "took more than 5 minutes")
		if r := b.get("/login/code"); r.Status != http.StatusSeeOther || r.location() != "/login" {
			t.Fatalf("code form without a pending login: %d %q", r.Status, r.location())
		}
		// And now, in time, with a fresh code.
		b.login("ana", "ana's password")
		b.post("/login/code", "code", e.code(secret, 0)).expect(t, "fresh code", http.StatusSeeOther)
	})
}

func TestTwoFactorRecoveryCodesAndTurningOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		ana := e.addMember("ana", "ana's password")
		b := e.browser("192.0.2.10")
		b.login("ana", "ana's password")
		secret, oldCodes := b.enable2FA("ana's password")

		// New recovery codes need the password and a code.
		b.post("/settings/security/recovery-codes", "password", "ana's password").
			expect(t, "new codes without a code", http.StatusUnprocessableEntity, "Enter the 6-digit code", `id="err-codes-code"`)
		b.post("/settings/security/recovery-codes", "password", "nope", "code", oldCodes[0]).
			expect(t, "new codes with a wrong password", http.StatusUnprocessableEntity, "That is not your password")
		r := b.post("/settings/security/recovery-codes", "password", "ana's password", "code", oldCodes[0])
		r.expect(t, "new codes", http.StatusOK, "Any older recovery codes no longer work")
		newCodes := recoveryRe.FindAllStringSubmatch(r.Body, -1)
		if len(newCodes) != 10 || newCodes[0][1] == oldCodes[0] {
			t.Fatalf("new codes: %v", newCodes)
		}
		// An old code no longer works; a new one does.
		ctx := context.Background()
		m, _ := db.Member(ctx, ana.ID)
		var inv *chorus.InvalidError
		if err := e.srv.verifySecondFactor(ctx, m, oldCodes[1]); !errors.As(err, &inv) || inv.Fields["code"] == "" {
			t.Fatalf("old recovery code: %v", err)
		}
		if err := e.srv.verifySecondFactor(ctx, m, newCodes[1][1]); err != nil {
			t.Fatalf("new recovery code: %v", err)
		}

		// Turning off needs a code: without one, or with a wrong one, it stays on.
		b.post("/settings/security/disable", "password", "ana's password").
			expect(t, "off without a code", http.StatusUnprocessableEntity, "Enter the 6-digit code", `id="err-disable-code"`)
		b.post("/settings/security/disable", "password", "ana's password", "code", "123 45x").
			expect(t, "off with a malformed code", http.StatusUnprocessableEntity, "That is not a code")
		if m, _ := db.Member(ctx, ana.ID); !m.TOTP {
			t.Fatal("turned off without a code")
		}
		e.clock.Advance(30 * time.Second)
		r = b.post("/settings/security/disable", "password", "ana's password", "code", e.code(secret, 0))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("off: %d\n%s", r.Status, r.Body)
		}
		b.get("/settings/security").expect(t, "after off", http.StatusOK, "Two-factor authentication is off", "Set up two-factor authentication")
		if tf, _ := db.TwoFactor(ctx, ana.ID); tf != (store.TwoFactor{}) {
			t.Fatalf("state after off: %+v", tf)
		}
		// Logging in needs the password only again.
		b.post("/logout")
		if r := b.login("ana", "ana's password"); r.location() != "/studio" {
			t.Fatalf("login after off goes to %q", r.location())
		}
	})
}

func TestVerifySecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAuthEnv(t, db)
		ctx := context.Background()
		m := e.addMember("ana", "ana's password")
		// No second factor: nothing to check.
		if err := e.srv.verifySecondFactor(ctx, m, ""); err != nil {
			t.Fatalf("member without 2FA: %v", err)
		}
		key, _ := auth.NewTOTPKey("Chorus", "ana")
		_, hashes := auth.NewRecoveryCodes()
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EnableTOTP(ctx, m.ID, key.Secret, 0, hashes) })
		if err != nil {
			t.Fatal(err)
		}
		m, _ = db.Member(ctx, m.ID)
		if err := e.srv.verifySecondFactor(ctx, m, e.code(key.Secret, -30*time.Second)); err != nil {
			t.Fatalf("previous step's code: %v", err)
		}
		// Wrong codes: an *InvalidError on "code", until the account must wait.
		for i := range 6 {
			err := e.srv.verifySecondFactor(ctx, m, "99999"+string(rune('0'+i)))
			var inv *chorus.InvalidError
			if !errors.As(err, &inv) || inv.Fields["code"] == "" {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		err = e.srv.verifySecondFactor(ctx, m, e.code(key.Secret, 0))
		var tm *ratelimit.TooManyError
		if !errors.As(err, &tm) || tm.Wait != time.Second {
			t.Fatalf("after 6 wrong codes: %v, want a 1 s wait", err)
		}
		// After the wait the right code works, and clears the count.
		e.clock.Advance(time.Second)
		if err := e.srv.verifySecondFactor(ctx, m, e.code(key.Secret, 0)); err != nil {
			t.Fatalf("right code after the wait: %v", err)
		}
		if w, _ := e.srv.limiter.Wait(ctx, codeKey(m.ID).Name); w != 0 {
			t.Fatalf("wait after success: %v", w)
		}
	})
}
