// Package signintest runs a real OpenID Connect provider in-process for
// tests: zitadel's OpenID Provider (github.com/zitadel/oidc/v3/pkg/op) on
// its example in-memory storage, with users, clients and ID tokens the
// test controls. It issues, signs and checks everything as a provider on
// the internet would: discovery, authorization with PKCE, the token
// endpoint, UserInfo and its key set.
package signintest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account at the test provider.
type User struct {
	Subject            string
	Username, Password string // what the person types at the provider's login page
	Email              string
	EmailVerified      bool
	Name               string
}

// OP is a running OpenID Connect provider. URL is its issuer.
type OP struct {
	URL string

	provider *op.Provider
	key      *rsa.PrivateKey
	keyID    string

	mu      sync.Mutex
	users   map[string]*storage.User
	clients map[string]*storage.Client
	secrets map[string]string
	rewrite func(idToken string) string
}

// New starts a provider, stopped when tb ends.
func New(tb testing.TB) *OP {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	o := &OP{key: key, keyID: "test-key", users: map[string]*storage.User{}, clients: map[string]*storage.Client{}, secrets: map[string]string{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	o.URL = srv.URL
	st := &opStorage{Storage: storage.NewStorageWithClients(userStore{o}, map[string]*storage.Client{}), o: o}
	o.provider, err = op.NewProvider(&op.Config{
		CryptoKey:      sha256.Sum256([]byte("signintest")),
		CodeMethodS256: true,
		AuthMethodPost: true,
	}, st, op.StaticIssuer(o.URL), op.WithAllowInsecure(), op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) { o.login(w, r, st) })
	mux.Handle("/", o.rewriteTokens(o.provider))
	return o
}

// AddUser creates an account at the provider.
func (o *OP) AddUser(u User) {
	o.mu.Lock()
	defer o.mu.Unlock()
	first, last, _ := strings.Cut(u.Name, " ")
	o.users[u.Subject] = &storage.User{ID: u.Subject, Username: u.Username, Password: u.Password,
		FirstName: first, LastName: last, Email: u.Email, EmailVerified: u.EmailVerified}
}

// AddClient registers an OAuth client (a confidential web application)
// with one redirect URI.
func (o *OP) AddClient(id, secret, redirectURI string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[id] = storage.WebClient(id, secret, redirectURI)
	o.secrets[id] = secret
}

// RewriteIDTokens makes the token endpoint answer fn(idToken) instead of
// the ID token it issued; nil stops it. Tests use it to send tampered,
// expired or misaddressed tokens.
func (o *OP) RewriteIDTokens(fn func(idToken string) string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rewrite = fn
}

// Sign returns a JWT of claims signed with the provider's own key: a token
// whose signature checks out, whatever its claims say.
func (o *OP) Sign(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: o.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", o.keyID))
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// Claims decodes the claims of a JWT without checking it.
func Claims(jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var c map[string]any
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return c
}

// ReplaceClaims returns jwt with its claims replaced and its original
// signature kept: a tampered token.
func ReplaceClaims(jwt string, claims map[string]any) string {
	parts := strings.Split(jwt, ".")
	b, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// LogIn plays the person at the provider: from the authorization URL a
// relying party sent the browser to, it logs in as username with password
// and returns where the provider sends the browser back (the relying
// party's redirect URI with code and state). c must not follow redirects.
func (o *OP) LogIn(c *http.Client, authorizeURL, username, password string) (*url.URL, error) {
	resp, err := c.Get(authorizeURL)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loginURL, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("authorize answered %d without a redirect", resp.StatusCode)
	}
	if loginURL.Query().Has("error") { // an error sent straight back to the relying party
		return loginURL, nil
	}
	form := url.Values{"username": {username}, "password": {password}, "id": {loginURL.Query().Get("authRequestID")}}
	resp, err = c.PostForm(loginURL.String(), form)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	callback, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("login at the provider answered %d", resp.StatusCode)
	}
	resp, err = c.Get(callback.String())
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("the provider's callback answered %d", resp.StatusCode)
	}
	return back, nil
}

// login is the provider's own login page: a form, and its check.
func (o *OP) login(w http.ResponseWriter, r *http.Request, st *opStorage) {
	if r.Method == http.MethodGet {
		id := html.EscapeString(r.URL.Query().Get("authRequestID"))
		fmt.Fprintf(w, `<form method="post"><input type="hidden" name="id" value="%s"><input name="username"><input name="password" type="password"><button>Log in</button></form>`, id)
		return
	}
	id := r.PostFormValue("id")
	if err := st.CheckUsernamePassword(r.PostFormValue("username"), r.PostFormValue("password"), id); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, o.provider.AuthorizationEndpoint().Absolute(o.URL)+"/callback?id="+url.QueryEscape(id), http.StatusFound)
}

// rewriteTokens applies the ID token rewrite to token endpoint answers.
func (o *OP) rewriteTokens(next http.Handler) http.Handler {
	tokenPath := "/" + strings.TrimPrefix(o.provider.TokenEndpoint().Relative(), "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		fn := o.rewrite
		o.mu.Unlock()
		if r.URL.Path != tokenPath || fn == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var v map[string]any
		if json.Unmarshal(body, &v) == nil {
			if tok, ok := v["id_token"].(string); ok {
				v["id_token"] = fn(tok)
				body, _ = json.Marshal(v)
			}
		}
		for k, vals := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = vals
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = bytes.NewReader(body).WriteTo(w)
	})
}

// opStorage is the example storage with the test's clients and signing key.
type opStorage struct {
	*storage.Storage
	o *OP
}

type signingKey struct{ o *OP }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.o.key }
func (k signingKey) ID() string                                  { return k.o.keyID }

type publicKey struct{ o *OP }

func (k publicKey) ID() string                         { return k.o.keyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.o.key.PublicKey }

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) { return signingKey{s.o}, nil }

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.o}}, nil }

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	c, ok := s.o.clients[id]
	if !ok {
		return nil, errors.New("client not found")
	}
	return storage.RedirectGlobsClient(c), nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if want, ok := s.o.secrets[id]; !ok || want != secret {
		return errors.New("invalid client")
	}
	return nil
}

// userStore serves the test's users to the example storage.
type userStore struct{ o *OP }

func (u userStore) GetUserByID(id string) *storage.User {
	u.o.mu.Lock()
	defer u.o.mu.Unlock()
	return u.o.users[id]
}

func (u userStore) GetUserByUsername(name string) *storage.User {
	u.o.mu.Lock()
	defer u.o.mu.Unlock()
	for _, usr := range u.o.users {
		if usr.Username == name {
			return usr
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return "service" }
