package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/pro"
	"chorus/internal/signin"
	"chorus/internal/signin/signintest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
	"chorus/internal/web"
)

// webtestMail is a mail service writing .eml files in a temporary folder.
func webtestMail(t *testing.T, db *store.DB, base string) *mail.Service {
	t.Helper()
	m, err := mail.New(db, mail.Config{BaseURL: base, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// An insert-only queue: messages are queued, never delivered.
	if m.Queue, err = jobs.New(db, jobs.Config{}); err != nil {
		t.Fatal(err)
	}
	return m
}

// startWeb serves the web surface on a real store; providers gets the base
// URL, for their redirect URIs.
func startWeb(t *testing.T, db *store.DB, providers func(base string) []signin.Provider) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vault, _, err := pro.OpenVault(filepath.Join(t.TempDir(), "pro-keyset.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{DB: db, BaseURL: base, SignIn: providers(base), Mail: webtestMail(t, db, base), Vault: vault})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })
	return base
}

type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, target string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.base + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// through goes from Chorus to a plain OAuth provider and back: it posts
// the consent form and follows the redirects to the callback, whose
// answer it returns.
func (b *browser) through(provider, intent string) (*http.Response, string) {
	b.t.Helper()
	resp, _ := b.do(http.MethodPost, "/auth/"+provider, url.Values{"intent": {intent}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("start %s: %d", provider, resp.StatusCode)
	}
	resp, _ = b.do(http.MethodGet, resp.Header.Get("Location"), nil) // the provider's authorization endpoint
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, b.base+"/auth/"+provider+"/callback?") {
		b.t.Fatalf("the provider sent the browser to %q (%d)", back, resp.StatusCode)
	}
	return b.do(http.MethodGet, back, nil)
}

func (b *browser) signUp(username string) {
	b.t.Helper()
	resp, body := b.do(http.MethodPost, "/signup", url.Values{"email": {username + "@example.org"}, "username": {username}, "password": {"a long password"}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign up %s: %d %s", username, resp.StatusCode, body)
	}
}

func twitterFor(x *signintest.OAuth) func(string) []signin.Provider {
	return func(base string) []signin.Provider {
		return []signin.Provider{&signin.Twitter{Client: signin.Client{ID: "x-app", Secret: "x-secret", RedirectURL: base + "/auth/twitter/callback"},
			AuthURL: x.URL + "/authorize", TokenURL: x.URL + "/token", ProfileURL: x.URL + "/2/users/me"}}
	}
}

// X gives no email: the member types one, and it is not verified.
func TestSignUpWithXAsksForEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var x *signintest.OAuth
		base := startWeb(t, db, func(base string) []signin.Provider {
			x = signintest.NewOAuth(t, signintest.OAuthConfig{ClientID: "x-app", ClientSecret: "x-secret", BasicAuth: true,
				RedirectURI: base + "/auth/twitter/callback", ProfilePath: "/2/users/me"})
			return twitterFor(x)(base)
		})
		x.SetProfile(`{"data":{"id":"2244994945","name":"Zoë <script>alert(1)</script>","username":"zoe","profile_image_url":"https://pbs.x.example/zoe.jpg"}}`)
		b := newBrowser(t, base)

		_, body := b.do(http.MethodGet, "/signup", nil)
		if !strings.Contains(body, `href="/auth/twitter"`) || !strings.Contains(body, "Continue with X (Twitter)") {
			t.Fatal("sign-up page has no X button")
		}
		_, body = b.do(http.MethodGet, "/auth/twitter", nil)
		if !strings.Contains(body, "Your account ID at X") || strings.Contains(body, "Your email address") {
			t.Errorf("X consent page must list no email")
		}

		resp, _ := b.through("twitter", "login")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/twitter/signup" {
			t.Fatalf("callback: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = b.do(http.MethodGet, "/auth/twitter/signup", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="email"`) || !strings.Contains(body, "does not give us your email address") {
			t.Fatalf("sign-up form does not ask for an email: %d", resp.StatusCode)
		}
		if strings.Contains(body, "<script>alert") || !strings.Contains(body, "Zoë &lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Error("the provider's name is not shown as plain text")
		}
		if !strings.Contains(body, `value="Zoë.scriptalert1script"`) {
			t.Errorf("proposed username missing")
		}
		// No email: a message per field, the username kept.
		resp, body = b.do(http.MethodPost, "/auth/twitter/signup", url.Values{"username": {"zoe"}, "email": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter your email address") || !strings.Contains(body, `value="zoe"`) {
			t.Fatalf("sign-up without email: %d", resp.StatusCode)
		}
		// Someone else's address is refused like at sign-up.
		newBrowser(t, base).signUp("ana")
		resp, body = b.do(http.MethodPost, "/auth/twitter/signup", url.Values{"username": {"zoe"}, "email": {"ana@example.org"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already exists") || !strings.Contains(body, `value="ana@example.org"`) {
			t.Fatalf("sign-up with a taken email: %d", resp.StatusCode)
		}
		resp, _ = b.do(http.MethodPost, "/auth/twitter/signup", url.Values{"username": {"zoe"}, "email": {"zoe@example.org"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-up: %d", resp.StatusCode)
		}
		m, err := db.MemberByLogin(ctx, "zoe")
		if err != nil {
			t.Fatal(err)
		}
		if m.Email != "zoe@example.org" || m.EmailVerified || m.HasPassword {
			t.Errorf("member %+v: want the typed email, not verified, no password", m)
		}
		// The typed address is confirmed by email, as at sign-up.
		sent, _, err := db.Outbox(ctx, 50, 0)
		verifyMail := false
		for _, o := range sent {
			verifyMail = verifyMail || (o.To == "zoe@example.org" && o.Template == "verify_email")
		}
		if err != nil || !verifyMail {
			t.Errorf("no verification mail queued for the typed address: %v %+v", err, sent)
		}
		ident, err := db.IdentityBySubject(ctx, "twitter", "2244994945")
		if err != nil || ident.MemberID != m.ID || ident.Email != "" || ident.AvatarURL != "https://pbs.x.example/zoe.jpg" {
			t.Errorf("identity %+v %v", ident, err)
		}
		resp, body = b.do(http.MethodGet, "/settings/connections", nil)
		if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(body, "https://pbs.x.example/zoe.jpg") ||
			strings.Contains(body, `<img src="https://pbs`) || !strings.Contains(body, "only way you can log in") {
			t.Errorf("connections page: %q", resp.Header.Get("Cache-Control"))
		}

		// The same X account cannot be linked to another member.
		ana := newBrowser(t, base)
		ana.do(http.MethodPost, "/login", url.Values{"login": {"ana"}, "password": {"a long password"}})
		resp, body = ana.through("twitter", "link")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already linked to another Chorus account") {
			t.Fatalf("linking zoe's X account to ana: %d", resp.StatusCode)
		}
		// Once ana links her own, she cannot link a second X account.
		x.SetProfile(`{"data":{"id":"777","name":"Ana"}}`)
		if resp, _ := ana.through("twitter", "link"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ana links her X account: %d", resp.StatusCode)
		}
		x.SetProfile(`{"data":{"id":"778","name":"Ana again"}}`)
		resp, body = ana.through("twitter", "link")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Unlink that one first") {
			t.Fatalf("a second X account for ana: %d", resp.StatusCode)
		}
		// A visitor cannot start a link.
		if resp, _ := newBrowser(t, base).do(http.MethodPost, "/auth/twitter", url.Values{"intent": {"link"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("visitor link: %d", resp.StatusCode)
		}
	})
}

// Facebook's email is never taken as verified: a new member must verify
// it, and it never opens an existing account.
func TestFacebookEmailIsNotVerified(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var fb *signintest.OAuth
		base := startWeb(t, db, func(base string) []signin.Provider {
			fb = signintest.NewOAuth(t, signintest.OAuthConfig{ClientID: "fb-app", ClientSecret: "fb-secret",
				RedirectURI: base + "/auth/facebook/callback", ProfilePath: "/me"})
			return []signin.Provider{&signin.Facebook{Client: signin.Client{ID: "fb-app", Secret: "fb-secret", RedirectURL: base + "/auth/facebook/callback"},
				AuthURL: fb.URL + "/authorize", TokenURL: fb.URL + "/token", ProfileURL: fb.URL + "/me"}}
		})
		newBrowser(t, base).signUp("ana")

		fb.SetProfile(`{"id":"1001","name":"Not Ana","email":"ana@example.org"}`)
		b := newBrowser(t, base)
		resp, body := b.through("facebook", "login")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "An account with this email exists: log in with your password, then link Facebook from settings.") {
			t.Fatalf("Facebook email of an existing member: %d", resp.StatusCode)
		}
		if _, err := db.IdentityBySubject(context.Background(), "facebook", "1001"); err == nil {
			t.Fatal("the Facebook account was attached")
		}

		fb.SetProfile(`{"id":"1002","name":"Bo Berg","email":"bo@example.org"}`)
		if resp, _ := b.through("facebook", "login"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: %d", resp.StatusCode)
		}
		_, body = b.do(http.MethodGet, "/auth/facebook/signup", nil)
		if !strings.Contains(body, "bo@example.org (not verified by Facebook)") || strings.Contains(body, `name="email"`) {
			t.Error("sign-up form should show Facebook's email as not verified, without asking for one")
		}
		// Cancel forgets what Facebook sent; no account is made.
		if resp, _ := b.do(http.MethodPost, "/auth/facebook/signup", url.Values{"username": {"Bo.Berg"}, "cancel": {"1"}}); resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != "/" {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		if resp, _ := b.do(http.MethodGet, "/auth/facebook/signup", nil); resp.Header.Get("Location") != "/signup" {
			t.Fatalf("sign-up form after cancel: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, err := db.MemberByLogin(context.Background(), "bo.berg"); err == nil {
			t.Fatal("cancel made an account")
		}
		if resp, _ := b.through("facebook", "login"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: %d", resp.StatusCode)
		}
		if resp, _ := b.do(http.MethodPost, "/auth/facebook/signup", url.Values{"username": {"Bo.Berg"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-up: %d", resp.StatusCode)
		}
		m, err := db.MemberByLogin(context.Background(), "bo.berg")
		if err != nil || m.Email != "bo@example.org" || m.EmailVerified {
			t.Fatalf("member %+v %v: want Facebook's email, not verified", m, err)
		}
	})
}

func TestSignInWithoutProviders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		base := startWeb(t, db, func(string) []signin.Provider { return nil })
		b := newBrowser(t, base)
		for _, page := range []string{"/login", "/signup"} {
			if _, body := b.do(http.MethodGet, page, nil); strings.Contains(body, "Continue with") || strings.Contains(body, "/auth/") {
				t.Errorf("%s offers a provider though none is configured", page)
			}
		}
		for _, path := range []string{"/auth/google", "/auth/oidc/callback?code=x&state=y", "/auth/nope/signup"} {
			if resp, _ := b.do(http.MethodGet, path, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, resp.StatusCode)
			}
		}
		b.signUp("ana")
		resp, body := b.do(http.MethodGet, "/settings/connections", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "offers no sign-in with accounts elsewhere") {
			t.Errorf("connections without providers: %d", resp.StatusCode)
		}
		if resp, _ := newBrowser(t, base).do(http.MethodGet, "/settings/connections", nil); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("visitor on connections: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// A provider that cannot be reached is the provider's fault, said as such.
func TestProviderUnreachable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + ln.Addr().String()
		ln.Close()
		base := startWeb(t, db, func(base string) []signin.Provider {
			return []signin.Provider{signin.NewOIDC("Gone ID", down, signin.Client{ID: "c", Secret: "s", RedirectURL: base + "/auth/oidc/callback"})}
		})
		resp, body := newBrowser(t, base).do(http.MethodPost, "/auth/oidc", url.Values{})
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "Gone ID did not answer as expected") {
			t.Fatalf("unreachable provider: %d", resp.StatusCode)
		}
	})
}

// Hostile values in every field of the sign-in forms and in the
// callback's parameters: never a server error, never markup echoed.
func TestSignInHostileInput(t *testing.T) {
	hostile := []string{`<script>alert(1)</script><img src=x onerror=alert(2)>`, strings.Repeat("ü", 70_000),
		"a\x00b\x01c\x1b[31m\u202eevil", "caf\xe9 \xff\xfe", `' OR 1=1; --`, "", "javascript:alert(1)", "//evil.example/"}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var x *signintest.OAuth
		base := startWeb(t, db, func(base string) []signin.Provider {
			x = signintest.NewOAuth(t, signintest.OAuthConfig{ClientID: "x-app", ClientSecret: "x-secret", BasicAuth: true,
				RedirectURI: base + "/auth/twitter/callback", ProfilePath: "/2/users/me"})
			return twitterFor(x)(base)
		})
		x.SetProfile(`{"data":{"id":"1","name":"<script>alert(1)</script>"}}`)
		check := func(what string, resp *http.Response, body string) {
			t.Helper()
			if resp.StatusCode >= 500 {
				t.Errorf("%s: %d", what, resp.StatusCode)
			}
			if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") {
				t.Errorf("%s echoed markup", what)
			}
		}
		b := newBrowser(t, base)
		if resp, _ := b.through("twitter", "login"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: %d", resp.StatusCode)
		}
		for _, v := range hostile {
			// A form far larger than any answer is refused whole (413).
			huge := len(url.Values{"v": {v}}.Encode()) > 200<<10
			resp, body := b.do(http.MethodPost, "/auth/twitter/signup", url.Values{"username": {v}, "email": {v}})
			check("sign-up form", resp, body)
			if want := map[bool]int{false: http.StatusUnprocessableEntity, true: http.StatusRequestEntityTooLarge}[huge]; resp.StatusCode != want {
				t.Errorf("sign-up with %.20q: %d, want %d", v, resp.StatusCode, want)
			}
			resp, body = newBrowser(t, base).do(http.MethodPost, "/auth/twitter", url.Values{"next": {v}, "intent": {v}})
			check("start", resp, body)
			if loc := resp.Header.Get("Location"); !huge && !strings.HasPrefix(loc, x.URL+"/authorize?") {
				t.Errorf("start with %.20q went to %q", v, loc)
			}
			resp, body = b.do(http.MethodGet, "/auth/twitter/callback?"+url.Values{"state": {v}, "code": {v}, "error": {v}}.Encode(), nil)
			check("callback", resp, body)
			resp, body = b.do(http.MethodGet, "/auth/twitter?"+url.Values{"next": {v}}.Encode(), nil)
			check("consent", resp, body)
		}
		if resp, _ := b.do(http.MethodGet, "/auth/<script>", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown provider: %d", resp.StatusCode)
		}
	})
}
