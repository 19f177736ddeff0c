package signin_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/signin"
	"chorus/internal/signin/signintest"
)

func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// oidcLogin runs the browser's part of a code flow against the test
// provider and returns the code it sends back.
func oidcLogin(t *testing.T, idp *signintest.OP, p signin.Provider, state, nonce, verifier, username string) string {
	t.Helper()
	authURL, err := p.AuthCodeURL(context.Background(), state, nonce, verifier)
	if err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, authURL).Query()
	for k, want := range map[string]string{"state": state, "nonce": nonce, "code_challenge_method": "S256",
		"code_challenge": s256(verifier), "scope": "openid email profile", "response_type": "code"} {
		if q.Get(k) != want {
			t.Errorf("authorization URL: %s = %q, want %q", k, q.Get(k), want)
		}
	}
	back, err := idp.LogIn(noRedirects(), authURL, username, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if back.Query().Get("state") != state || back.Query().Get("code") == "" {
		t.Fatalf("provider sent back %s", back)
	}
	return back.Query().Get("code")
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newOIDC(t *testing.T) (*signintest.OP, *signin.OIDC) {
	idp := signintest.New(t)
	idp.AddClient("chorus", "client-secret", "http://chorus.test/auth/oidc/callback")
	idp.AddUser(signintest.User{Subject: "u-1", Username: "ana", Password: "secret", Email: "ana@idp.example", EmailVerified: true, Name: "Ana Lima"})
	idp.AddUser(signintest.User{Subject: "u-2", Username: "eve", Password: "secret", Email: "victim@example.org", EmailVerified: false, Name: "Eve"})
	p := signin.NewOIDC("Test ID", idp.URL, signin.Client{ID: "chorus", Secret: "client-secret", RedirectURL: "http://chorus.test/auth/oidc/callback"})
	return idp, p
}

func TestOIDCCodeFlow(t *testing.T) {
	idp, p := newOIDC(t)
	ctx := context.Background()
	verifier := "a-verifier-of-at-least-forty-three-characters-long"
	code := oidcLogin(t, idp, p, "state-1", "nonce-1", verifier, "ana")
	got, err := p.Exchange(ctx, code, verifier, "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := signin.Profile{Subject: "u-1", Email: "ana@idp.example", EmailVerified: true, DisplayName: "Ana Lima"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	// A code is good once.
	if _, err := p.Exchange(ctx, code, verifier, "nonce-1"); err == nil {
		t.Error("a used code was accepted again")
	}

	code = oidcLogin(t, idp, p, "state-2", "nonce-2", verifier, "eve")
	got, err = p.Exchange(ctx, code, verifier, "nonce-2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "victim@example.org" || got.EmailVerified {
		t.Errorf("unverified email: %+v, want EmailVerified false", got)
	}
}

func TestOIDCRefusesWrongVerifier(t *testing.T) {
	idp, p := newOIDC(t)
	code := oidcLogin(t, idp, p, "s", "n", "the-verifier-that-was-sent-with-the-challenge-xx", "ana")
	if _, err := p.Exchange(context.Background(), code, "another-verifier-that-the-attacker-made-up-xxxxx", "n"); err == nil {
		t.Fatal("the token endpoint accepted a code with the wrong PKCE verifier")
	}
}

func TestOIDCRefusesBadIDTokens(t *testing.T) {
	idp, p := newOIDC(t)
	resign := func(change func(c map[string]any)) func(string) string {
		return func(tok string) string {
			c := signintest.Claims(tok)
			change(c)
			return idp.Sign(c)
		}
	}
	for _, tc := range []struct {
		name    string
		rewrite func(string) string
		nonce   string
	}{
		{"tampered claims, original signature", func(tok string) string {
			c := signintest.Claims(tok)
			c["sub"] = "u-2"
			return signintest.ReplaceClaims(tok, c)
		}, "n"},
		{"another audience", resign(func(c map[string]any) { c["aud"] = []string{"someone-else"} }), "n"},
		{"expired", resign(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), "n"},
		{"another issuer", resign(func(c map[string]any) { c["iss"] = "https://evil.example" }), "n"},
		{"no signature", func(tok string) string { return tok[:strings.LastIndex(tok, ".")+1] }, "n"},
		{"nonce of another flow", nil, "another nonce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp.RewriteIDTokens(tc.rewrite)
			defer idp.RewriteIDTokens(nil)
			v := "verifier-verifier-verifier-verifier-verifier-verifier"
			code := oidcLogin(t, idp, p, "s", "n", v, "ana")
			_, err := p.Exchange(context.Background(), code, v, tc.nonce)
			if !errors.Is(err, signin.ErrUnverified) {
				t.Fatalf("Exchange: %v, want ErrUnverified", err)
			}
		})
	}
}

func TestOIDCDiscoveryFailureIsRetried(t *testing.T) {
	p := signin.NewOIDC("Down", "http://127.0.0.1:1", signin.Client{ID: "x"})
	if _, err := p.AuthCodeURL(context.Background(), "s", "n", "v"); err == nil {
		t.Fatal("AuthCodeURL with an unreachable provider: no error")
	}
	idp, _ := newOIDC(t)
	p.Issuer = idp.URL
	if _, err := p.AuthCodeURL(context.Background(), "s", "n", "v"); err != nil {
		t.Fatalf("after the provider came up: %v", err)
	}
}

// oauthFlow runs the browser's part (authorize, redirect back) and the
// exchange against a plain OAuth 2.0 provider.
func oauthFlow(t *testing.T, p signin.Provider, verifier string) (signin.Profile, error) {
	t.Helper()
	authURL, err := p.AuthCodeURL(context.Background(), "state-9", "unused", verifier)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirects().Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil || back.Query().Get("state") != "state-9" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, back)
	}
	return p.Exchange(context.Background(), back.Query().Get("code"), verifier, "unused")
}

func TestFacebook(t *testing.T) {
	proof := func(r *http.Request) bool {
		mac := hmac.New(sha256.New, []byte("app-secret"))
		mac.Write([]byte(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")))
		return r.URL.Query().Get("appsecret_proof") == hex.EncodeToString(mac.Sum(nil)) &&
			r.URL.Query().Get("fields") == "id,name,email,picture"
	}
	me := map[string]any{"id": "10001", "name": "Ana <b>Lima</b>\u202e\x07", "email": "ana@fb.example",
		"picture": map[string]any{"data": map[string]any{"url": "https://fb.example/ana.jpg", "is_silhouette": false}}}
	body, _ := json.Marshal(me)
	f := signintest.NewOAuth(t, signintest.OAuthConfig{ClientID: "app-id", ClientSecret: "app-secret", RedirectURI: "http://chorus.test/cb",
		ProfilePath: "/me", CheckProfile: proof})
	f.SetProfile(string(body))
	fb := &signin.Facebook{Client: signin.Client{ID: "app-id", Secret: "app-secret", RedirectURL: "http://chorus.test/cb"},
		AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", ProfileURL: f.URL + "/me"}
	got, err := oauthFlow(t, fb, "fb-verifier-fb-verifier-fb-verifier-fb-verifier")
	if err != nil {
		t.Fatal(err)
	}
	// The email is kept but never counts as verified; the name is text
	// without control or direction-changing characters.
	want := signin.Profile{Subject: "10001", Email: "ana@fb.example", DisplayName: "Ana <b>Lima</b>", AvatarURL: "https://fb.example/ana.jpg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if scope := mustParse(t, must(fb.AuthCodeURL(context.Background(), "s", "", "v"))).Query().Get("scope"); scope != "public_profile email" {
		t.Errorf("scope %q", scope)
	}

	// The default grey picture is not kept; an answer without an id is refused.
	f.SetProfile(`{"id":"10002","name":"Bo","picture":{"data":{"url":"https://fb.example/grey.jpg","is_silhouette":true}}}`)
	got, err = oauthFlow(t, fb, "fb-verifier-fb-verifier-fb-verifier-fb-verifier")
	if err != nil || got.AvatarURL != "" || got.Email != "" {
		t.Errorf("silhouette, no email: %+v %v", got, err)
	}
	f.SetProfile(`{"name":"No Id"}`)
	if _, err := oauthFlow(t, fb, "fb-verifier-fb-verifier-fb-verifier-fb-verifier"); !errors.Is(err, signin.ErrUnverified) {
		t.Errorf("profile without id: %v, want ErrUnverified", err)
	}
	// A wrong secret: Facebook refuses the code.
	fb.Client.Secret = "wrong"
	if _, err := oauthFlow(t, fb, "fb-verifier-fb-verifier-fb-verifier-fb-verifier"); err == nil {
		t.Error("a wrong app secret was accepted")
	}
}

func TestTwitter(t *testing.T) {
	fields := func(r *http.Request) bool { return r.URL.Query().Get("user.fields") == "profile_image_url" }
	f := signintest.NewOAuth(t, signintest.OAuthConfig{ClientID: "app-id", ClientSecret: "app-secret", RedirectURI: "http://chorus.test/cb",
		BasicAuth: true, ProfilePath: "/2/users/me", CheckProfile: fields})
	f.SetProfile(`{"data":{"id":"2244994945","name":"Ana Lima","username":"ana_lima","profile_image_url":"https://pbs.x.example/ana_normal.jpg"}}`)
	x := &signin.Twitter{Client: signin.Client{ID: "app-id", Secret: "app-secret", RedirectURL: "http://chorus.test/cb"},
		AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", ProfileURL: f.URL + "/2/users/me"}
	got, err := oauthFlow(t, x, "x-verifier-x-verifier-x-verifier-x-verifier-x")
	if err != nil {
		t.Fatal(err)
	}
	want := signin.Profile{Subject: "2244994945", DisplayName: "Ana Lima", AvatarURL: "https://pbs.x.example/ana_normal.jpg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if scope := mustParse(t, must(x.AuthCodeURL(context.Background(), "s", "", "v"))).Query().Get("scope"); scope != "users.read tweet.read" {
		t.Errorf("scope %q", scope)
	}
	for _, d := range x.Takes() {
		if strings.Contains(strings.ToLower(d.What), "email") {
			t.Errorf("X gives no email, but the consent page would say it takes %q", d.What)
		}
	}
	// An avatar that is not https, or an id with a NUL, is not believed.
	f.SetProfile(`{"data":{"id":"7","name":"x","profile_image_url":"javascript:alert(1)"}}`)
	if got, err := oauthFlow(t, x, "x-verifier-x-verifier-x-verifier-x-verifier-x"); err != nil || got.AvatarURL != "" {
		t.Errorf("javascript: avatar: %+v %v", got, err)
	}
	f.SetProfile(`{"data":{"id":"7\u0000","name":"x"}}`)
	if _, err := oauthFlow(t, x, "x-verifier-x-verifier-x-verifier-x-verifier-x"); !errors.Is(err, signin.ErrUnverified) {
		t.Errorf("id with NUL: %v", err)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
