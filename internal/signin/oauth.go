package signin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// Facebook signs in with Facebook Login (OAuth 2.0 authorization code with
// PKCE) and reads the profile from the Graph API:
// GET /me?fields=id,name,email,picture.
//
// Facebook's email counts as not verified: the Graph API documents the
// field as "the primary email address listed on the profile", with no
// verification flag, so Chorus never treats it as proof of the address.
type Facebook struct {
	Client Client
	// AuthURL, TokenURL and ProfileURL are Facebook's endpoints, of Graph
	// API version FacebookVersion; tests point them elsewhere.
	AuthURL, TokenURL, ProfileURL string
	// HTTPClient makes the calls; nil uses one with a 15-second timeout.
	HTTPClient *http.Client
}

// FacebookVersion is the Graph API version Chorus calls; each version is
// supported for about two years after its release
// (https://developers.facebook.com/docs/graph-api/changelog).
const FacebookVersion = "v23.0"

// NewFacebook returns sign-in with Facebook at its public endpoints.
func NewFacebook(c Client) *Facebook {
	return &Facebook{Client: c,
		AuthURL:    "https://www.facebook.com/" + FacebookVersion + "/dialog/oauth",
		TokenURL:   "https://graph.facebook.com/" + FacebookVersion + "/oauth/access_token",
		ProfileURL: "https://graph.facebook.com/" + FacebookVersion + "/me",
	}
}

// ID implements Provider.
func (f *Facebook) ID() string { return "facebook" }

// Name implements Provider.
func (f *Facebook) Name() string { return "Facebook" }

// Takes implements Provider: the "public_profile" and "email" permissions.
func (f *Facebook) Takes() []Datum {
	return common("Facebook", "Your email address (Facebook does not say whether it is verified, so Chorus counts it as not verified)")
}

func (f *Facebook) config() *oauth2.Config {
	return &oauth2.Config{ClientID: f.Client.ID, ClientSecret: f.Client.Secret, RedirectURL: f.Client.RedirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: f.AuthURL, TokenURL: f.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"public_profile", "email"}}
}

// AuthCodeURL implements Provider; Facebook Login has no nonce outside
// OpenID Connect, so nonce is not sent.
func (f *Facebook) AuthCodeURL(_ context.Context, state, _, verifier string) (string, error) {
	return f.config().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange implements Provider. The Graph API call carries appsecret_proof,
// the HMAC-SHA256 of the access token keyed by the app secret, so that a
// stolen token alone cannot be used with our app id
// (https://developers.facebook.com/docs/graph-api/securing-requests).
func (f *Facebook) Exchange(ctx context.Context, code, verifier, _ string) (Profile, error) {
	ctx = clientContext(ctx, f.HTTPClient)
	tok, err := f.config().Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Profile{}, fmt.Errorf("token endpoint of Facebook: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(f.Client.Secret))
	mac.Write([]byte(tok.AccessToken))
	q := url.Values{"fields": {"id,name,email,picture"}, "appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	var me struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Email   string `json:"email"`
		Picture struct {
			Data struct {
				URL          string `json:"url"`
				IsSilhouette bool   `json:"is_silhouette"`
			} `json:"data"`
		} `json:"picture"`
	}
	if err := getJSON(ctx, f.HTTPClient, f.ProfileURL, q, tok, &me); err != nil {
		return Profile{}, fmt.Errorf("profile from Facebook: %w", err)
	}
	avatar := me.Picture.Data.URL
	if me.Picture.Data.IsSilhouette { // the grey placeholder, not a picture of the member
		avatar = ""
	}
	return clean(Profile{Subject: me.ID, Email: me.Email, DisplayName: me.Name, AvatarURL: avatar})
}

// Twitter signs in with X (formerly Twitter): OAuth 2.0 authorization code
// with PKCE for a confidential client, then GET /2/users/me
// (https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code).
// X gives no email address: the member types one, which must then be
// verified like any other.
type Twitter struct {
	Client Client
	// AuthURL, TokenURL and ProfileURL are X's endpoints; tests point them elsewhere.
	AuthURL, TokenURL, ProfileURL string
	// HTTPClient makes the calls; nil uses one with a 15-second timeout.
	HTTPClient *http.Client
}

// NewTwitter returns sign-in with X at its public endpoints.
func NewTwitter(c Client) *Twitter {
	return &Twitter{Client: c,
		AuthURL:    "https://x.com/i/oauth2/authorize",
		TokenURL:   "https://api.x.com/2/oauth2/token",
		ProfileURL: "https://api.x.com/2/users/me",
	}
}

// ID implements Provider.
func (t *Twitter) ID() string { return "twitter" }

// Name implements Provider.
func (t *Twitter) Name() string { return "X (Twitter)" }

// Takes implements Provider: the "users.read" scope (with "tweet.read",
// which X requires beside it); no email.
func (t *Twitter) Takes() []Datum { return common("X", "") }

func (t *Twitter) config() *oauth2.Config {
	return &oauth2.Config{ClientID: t.Client.ID, ClientSecret: t.Client.Secret, RedirectURL: t.Client.RedirectURL,
		Endpoint: oauth2.Endpoint{AuthURL: t.AuthURL, TokenURL: t.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"users.read", "tweet.read"}}
}

// AuthCodeURL implements Provider; X has no nonce, so nonce is not sent.
func (t *Twitter) AuthCodeURL(_ context.Context, state, _, verifier string) (string, error) {
	return t.config().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange implements Provider.
func (t *Twitter) Exchange(ctx context.Context, code, verifier, _ string) (Profile, error) {
	ctx = clientContext(ctx, t.HTTPClient)
	tok, err := t.config().Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Profile{}, fmt.Errorf("token endpoint of X: %w", err)
	}
	var me struct {
		Data struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			Username        string `json:"username"`
			ProfileImageURL string `json:"profile_image_url"`
		} `json:"data"`
	}
	if err := getJSON(ctx, t.HTTPClient, t.ProfileURL, url.Values{"user.fields": {"profile_image_url"}}, tok, &me); err != nil {
		return Profile{}, fmt.Errorf("profile from X: %w", err)
	}
	name := me.Data.Name
	if name == "" {
		name = me.Data.Username
	}
	return clean(Profile{Subject: me.Data.ID, DisplayName: name, AvatarURL: me.Data.ProfileImageURL})
}

// maxProfileBytes bounds a profile answer; real ones are well under 4 KiB.
const maxProfileBytes = 64 << 10

// getJSON GETs endpoint?q with the access token as a Bearer credential
// (RFC 6750 §2.1) and decodes the JSON answer into v.
func getJSON(ctx context.Context, c *http.Client, endpoint string, q url.Values, tok *oauth2.Token, v any) error {
	if c == nil {
		c = defaultHTTPClient
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxProfileBytes {
		return errors.New("answer too large")
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %w", ErrUnverified, err)
	}
	return nil
}
