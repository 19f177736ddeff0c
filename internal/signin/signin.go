// Package signin signs members in with third-party providers: Google and
// any OpenID Connect provider (OpenID Connect Core 1.0, authorization code
// flow), Facebook (OAuth 2.0 and the Graph API) and X, formerly Twitter
// (OAuth 2.0 with PKCE and the v2 API). Every flow uses state (RFC 6749
// §10.12) and PKCE with S256 (RFC 7636); OpenID Connect flows also a nonce
// (OpenID Connect Core §3.1.2.1), and their ID tokens are verified (issuer,
// audience, expiry, signature) before anything in them is believed.
//
// A Provider only proves who the person is at the provider and returns
// their Profile; deciding what that means for a Chorus account is the web
// layer's job.
package signin

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"chorus/internal/chorus"
)

// Provider is one way to sign in with an account elsewhere.
type Provider interface {
	// ID names the provider in URLs (/auth/ID/callback) and in the
	// database: "google", "facebook", "twitter" or "oidc".
	ID() string
	// Name is shown to people: "Google", "Facebook", "X (Twitter)".
	Name() string
	// Takes lists what Chorus receives from the provider and why, for the
	// page shown before the member is sent there.
	Takes() []Datum
	// AuthCodeURL is where to send the browser: the provider's
	// authorization endpoint with state, nonce (OpenID Connect only) and
	// the S256 challenge of verifier (RFC 7636 §4.2). It may need to ask
	// the provider for its configuration first.
	AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error)
	// Exchange trades the code the provider sent back for the person's
	// profile, proving PKCE with verifier and checking nonce against the
	// ID token. An answer that fails a check wraps ErrUnverified; a
	// provider that cannot be reached or refuses the code gives another
	// error.
	Exchange(ctx context.Context, code, verifier, nonce string) (Profile, error)
}

// Profile is what a provider says about the person who signed in, already
// cleaned: text without control characters and of bounded length, an
// email that is one valid address or "", an avatar URL that is https or "".
type Profile struct {
	// Subject is the account's stable id at the provider, never empty.
	Subject string
	Email   string
	// EmailVerified is true only when the provider says it verified Email.
	EmailVerified bool
	DisplayName   string
	AvatarURL     string
}

// Datum is one piece of data a provider gives Chorus, and what it is used for.
type Datum struct {
	What, Why string
}

// ErrUnverified is wrapped by Exchange when the provider's answer fails a
// check: a bad ID token signature, issuer, audience, expiry or nonce, or a
// profile without a subject.
var ErrUnverified = errors.New("the sign-in provider's answer could not be verified")

// Client is the OAuth 2.0 client Chorus registered at a provider.
type Client struct {
	ID, Secret string
	// RedirectURL is BASE_URL/auth/PROVIDER/callback, as registered.
	RedirectURL string
}

// Limits of what is kept from a provider.
const (
	maxSubject     = 255  // bytes; provider ids are short numbers or UUIDs
	maxDisplayName = 100  // characters
	maxAvatarURL   = 2048 // bytes
)

// defaultHTTPClient bounds every call to a provider, so a provider that
// hangs cannot hold a request of ours for ever.
var defaultHTTPClient = &http.Client{Timeout: 15 * time.Second}

func clientContext(ctx context.Context, c *http.Client) context.Context {
	if c == nil {
		c = defaultHTTPClient
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c)
}

// clean bounds and checks what a provider sent. A missing or unstorable
// subject is ErrUnverified; a bad email or avatar URL is dropped, not an
// error, as sign-in works without them.
func clean(p Profile) (Profile, error) {
	if p.Subject == "" || len(p.Subject) > maxSubject || !utf8.ValidString(p.Subject) || chorus.CleanText(p.Subject, maxSubject, false) != p.Subject {
		return Profile{}, errors.Join(ErrUnverified, errors.New("missing or malformed subject"))
	}
	p.Email = strings.TrimSpace(p.Email)
	if addr, err := mail.ParseAddress(p.Email); err != nil || addr.Address != p.Email || len(p.Email) > 254 || !utf8.ValidString(p.Email) {
		p.Email, p.EmailVerified = "", false
	}
	p.DisplayName = chorus.CleanText(p.DisplayName, maxDisplayName, false) // drops invalid UTF-8 too
	if u, err := url.Parse(p.AvatarURL); err != nil || u.Scheme != "https" || u.Host == "" || len(p.AvatarURL) > maxAvatarURL ||
		!utf8.ValidString(p.AvatarURL) || strings.ContainsAny(p.AvatarURL, " \t\r\n\x00") {
		p.AvatarURL = ""
	}
	return p, nil
}

// common returns what every provider gives, described for the consent
// page; email says what is given about the email address ("" for nothing).
func common(name, email string) []Datum {
	d := []Datum{
		{What: "Your account ID at " + name,
			Why: "To recognise you when you sign in with " + name + " again. It is shown only to you, in your settings."},
	}
	if email != "" {
		d = append(d, Datum{What: email,
			Why: "To reach you about your account and to check whether you already have a Chorus account. It is never shown to other members."})
	}
	return append(d,
		Datum{What: "Your name",
			Why: "To propose a username, which you can change. The name itself is shown only to you, in your settings."},
		Datum{What: "The address of your profile picture",
			Why: "Shown only to you, in your settings, as part of what we keep. We keep the address only and never fetch the picture."},
	)
}
