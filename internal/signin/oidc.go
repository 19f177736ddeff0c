package signin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// GoogleIssuer is Google's OpenID Connect issuer; its configuration is at
// GoogleIssuer/.well-known/openid-configuration.
const GoogleIssuer = "https://accounts.google.com"

// OIDC signs in with an OpenID Connect provider found by discovery
// (OpenID Connect Discovery 1.0) from its issuer URL, with the
// authorization code flow, PKCE and a nonce. The provider's configuration
// is fetched on first use and kept; a failed fetch is tried again at the
// next sign-in, so Chorus starts even while the provider is down.
type OIDC struct {
	id, name string
	// Issuer is the provider's issuer URL; the ID token's "iss" must equal it.
	Issuer string
	Client Client
	// Scopes asked for: "openid email profile", the standard claims of
	// OpenID Connect Core §5.4 and no more.
	Scopes []string
	// HTTPClient makes the calls to the provider; nil uses one with a
	// 15-second timeout.
	HTTPClient *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC returns the provider named name found at issuer, with the id
// "oidc" in Chorus.
func NewOIDC(name, issuer string, c Client) *OIDC {
	return &OIDC{id: "oidc", name: name, Issuer: issuer, Client: c, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// NewGoogle returns sign-in with Google, an OpenID Connect provider
// (https://developers.google.com/identity/openid-connect/openid-connect).
func NewGoogle(c Client) *OIDC {
	p := NewOIDC("Google", GoogleIssuer, c)
	p.id = "google"
	return p
}

// ID implements Provider.
func (p *OIDC) ID() string { return p.id }

// Name implements Provider.
func (p *OIDC) Name() string { return p.name }

// Takes implements Provider: the "openid", "email" and "profile" scopes
// give the subject, email and its verification, name and picture.
func (p *OIDC) Takes() []Datum {
	return common(p.name, "Your email address, and whether "+p.name+" has verified it")
}

func (p *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, nil
	}
	prov, err := oidc.NewProvider(ctx, p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", p.Issuer, err)
	}
	p.provider = prov
	return prov, nil
}

func (p *OIDC) config(prov *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: p.Client.ID, ClientSecret: p.Client.Secret, RedirectURL: p.Client.RedirectURL,
		Endpoint: prov.Endpoint(), Scopes: p.Scopes}
}

// AuthCodeURL implements Provider.
func (p *OIDC) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	prov, err := p.discover(clientContext(ctx, p.HTTPClient))
	if err != nil {
		return "", err
	}
	return p.config(prov).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// oidcClaims are the standard claims Chorus reads (OpenID Connect Core §5.1).
type oidcClaims struct {
	Subject           string          `json:"sub"`
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	PreferredUsername string          `json:"preferred_username"`
	Picture           string          `json:"picture"`
}

// verified reads email_verified, which some providers send as the string
// "true" instead of a boolean.
func (c oidcClaims) verified() bool {
	var b bool
	if json.Unmarshal(c.EmailVerified, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(c.EmailVerified, &s) == nil && s == "true"
}

// Exchange implements Provider. The ID token is verified by go-oidc:
// signature with the provider's published keys, "iss" equal to Issuer,
// "aud" containing the client id, "exp" in the future (OpenID Connect Core
// §3.1.3.7); then its nonce is compared with the one sent. When the ID
// token lacks the email or name, they are read from the UserInfo endpoint,
// whose "sub" must be the ID token's (§5.3.4).
func (p *OIDC) Exchange(ctx context.Context, code, verifier, nonce string) (Profile, error) {
	ctx = clientContext(ctx, p.HTTPClient)
	prov, err := p.discover(ctx)
	if err != nil {
		return Profile{}, err
	}
	tok, err := p.config(prov).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Profile{}, fmt.Errorf("%s token endpoint: %w", p.name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Profile{}, fmt.Errorf("%w: no ID token in the token response", ErrUnverified)
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: p.Client.ID}).Verify(ctx, raw)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return Profile{}, fmt.Errorf("%w: the ID token's nonce is not the one sent", ErrUnverified)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Profile{}, fmt.Errorf("%w: %w", ErrUnverified, err)
		}
	}
	var c oidcClaims
	if err := idt.Claims(&c); err != nil {
		return Profile{}, fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	if (c.Email == "" || c.Name == "") && prov.UserInfoEndpoint() != "" {
		ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Profile{}, fmt.Errorf("%s userinfo: %w", p.name, err)
		}
		var more oidcClaims
		if err := ui.Claims(&more); err != nil {
			return Profile{}, fmt.Errorf("%w: userinfo: %w", ErrUnverified, err)
		}
		if more.Subject != idt.Subject {
			return Profile{}, fmt.Errorf("%w: userinfo is about another subject", ErrUnverified)
		}
		if c.Email == "" {
			c.Email, c.EmailVerified = more.Email, more.EmailVerified
		}
		if c.Name == "" {
			c.Name = more.Name
		}
		if c.PreferredUsername == "" {
			c.PreferredUsername = more.PreferredUsername
		}
		if c.Picture == "" {
			c.Picture = more.Picture
		}
	}
	name := c.Name
	if name == "" {
		name = c.PreferredUsername
	}
	return clean(Profile{Subject: idt.Subject, Email: c.Email, EmailVerified: c.verified(), DisplayName: name, AvatarURL: c.Picture})
}
