package main

import (
	"chorus/internal/config"
	"chorus/internal/signin"
)

// signInProviders returns the sign-in providers cfg enables, in the order
// of their buttons. Each one's redirect URI is BASE_URL/auth/ID/callback,
// as it must be registered at the provider.
func signInProviders(cfg config.Config) []signin.Provider {
	client := func(id string, p config.ProviderConfig) signin.Client {
		return signin.Client{ID: p.ClientID, Secret: p.ClientSecret, RedirectURL: cfg.BaseURL + "/auth/" + id + "/callback"}
	}
	var ps []signin.Provider
	if cfg.Google.Enabled() {
		ps = append(ps, signin.NewGoogle(client("google", cfg.Google)))
	}
	if cfg.Facebook.Enabled() {
		ps = append(ps, signin.NewFacebook(client("facebook", cfg.Facebook)))
	}
	if cfg.Twitter.Enabled() {
		ps = append(ps, signin.NewTwitter(client("twitter", cfg.Twitter)))
	}
	if cfg.OIDC.Enabled() {
		ps = append(ps, signin.NewOIDC(cfg.OIDC.Name, cfg.OIDC.Issuer, client("oidc", cfg.OIDC)))
	}
	return ps
}
