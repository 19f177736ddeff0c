package signintest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// OAuthConfig describes a plain OAuth 2.0 provider, as Facebook and X are.
type OAuthConfig struct {
	ClientID, ClientSecret, RedirectURI string
	// BasicAuth expects the client's credentials in an Authorization
	// header (X); otherwise in the form (Facebook).
	BasicAuth bool
	// ProfilePath is where the profile is served ("/me", "/2/users/me").
	ProfilePath string
	// CheckProfile, when set, must accept a profile request's query.
	CheckProfile func(r *http.Request) bool
}

// OAuth answers a provider's documented endpoints: GET /authorize sends
// the browser straight back with a code (as if the person agreed), POST
// /token checks the client, the code and its PKCE verifier (RFC 7636 §4.6)
// and issues an access token, and GET ProfilePath answers the profile set
// with SetProfile to that token.
type OAuth struct {
	URL string
	cfg OAuthConfig

	mu         sync.Mutex
	profile    string
	challenges map[string]string // code -> S256 challenge
	tokens     map[string]bool
	n          int
}

// NewOAuth starts the provider, stopped when tb ends.
func NewOAuth(tb testing.TB, cfg OAuthConfig) *OAuth {
	o := &OAuth{cfg: cfg, challenges: map[string]string{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", o.authorize)
	mux.HandleFunc("POST /token", o.token)
	mux.HandleFunc("GET "+cfg.ProfilePath, o.me)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	o.URL = srv.URL
	return o
}

// SetProfile sets the JSON the profile endpoint answers.
func (o *OAuth) SetProfile(json string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.profile = json
}

func (o *OAuth) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != o.cfg.ClientID || q.Get("redirect_uri") != o.cfg.RedirectURI || q.Get("response_type") != "code" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "invalid authorization request", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.n++
	code := "code-" + strconv.Itoa(o.n)
	o.challenges[code] = q.Get("code_challenge")
	o.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
}

func (o *OAuth) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !o.cfg.BasicAuth {
		id, secret, ok = r.PostFormValue("client_id"), r.PostFormValue("client_secret"), true
	}
	code := r.PostFormValue("code")
	o.mu.Lock()
	challenge, known := o.challenges[code]
	delete(o.challenges, code) // a code is good once
	o.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	w.Header().Set("Content-Type", "application/json")
	if !ok || id != o.cfg.ClientID || secret != o.cfg.ClientSecret || !known || r.PostFormValue("grant_type") != "authorization_code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.PostFormValue("redirect_uri") != o.cfg.RedirectURI {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	o.mu.Lock()
	tok := "access-" + code
	o.tokens[tok] = true
	o.mu.Unlock()
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, tok)
}

func (o *OAuth) me(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	var tok string
	if _, err := fmt.Sscanf(r.Header.Get("Authorization"), "Bearer %s", &tok); err != nil {
		tok = ""
	}
	known, profile := o.tokens[tok], o.profile
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !known || (o.cfg.CheckProfile != nil && !o.cfg.CheckProfile(r)) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid token or request"}`))
		return
	}
	_, _ = w.Write([]byte(profile))
}
