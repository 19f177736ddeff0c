package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"chorus/internal/store/storetest"
)

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestBrowserPasskey adds a passkey in a real browser with a virtual
// authenticator (user verification on), logs out, and logs in with it.
// The site is reached as localhost: WebAuthn refuses IP addresses.
func TestBrowserPasskey(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			port := freePort(t)
			base := fmt.Sprintf("http://localhost:%d", port)
			srv := startServer(t, d, "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--base-url", base)
			createUser(t, srv, "pat", "member", "a long password")
			// A forged or replayed answer is refused with a 4xx, never a 5xx.
			c := newClient(t, srv.URL)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login/passkey/finish", strings.NewReader(`{"id":"x","rawId":"x","type":"public-key","response":{}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			if resp, body := c.do(req); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("finish without a ceremony: %d %s", resp.StatusCode, body)
			}

			ctx := newBrowser(t)
			if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
					Options: &cdpwebauthn.VirtualAuthenticatorOptions{
						Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
						HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
					}})
				return err
			})); err != nil {
				t.Fatalf("virtual authenticator: %v", err)
			}
			waitJS := func(js string) {
				t.Helper()
				waitInBrowser(ctx, t, js)
			}
			waitPath := func(path string) {
				t.Helper()
				waitJS(fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, path))
			}
			if err := chromedp.Do(ctx,
				chromedp.Navigate(base+"/login"),
				chromedp.SendKeys("#f-login", "pat"),
				chromedp.SendKeys("#f-password", "a long password"),
				chromedp.Click(`form[action="/login"] button[type="submit"]`),
			); err != nil {
				t.Fatal(err)
			}
			waitPath("/studio")
			if err := chromedp.Do(ctx,
				chromedp.Navigate(base+"/settings/passkeys"),
				chromedp.WaitVisible("#pk-name"),
				chromedp.SendKeys("#pk-name", "Test laptop"),
				chromedp.SendKeys("#pk-password", "a long password"),
				chromedp.Click(`form[data-passkey-register] button[type="submit"]`),
			); err != nil {
				t.Fatal(err)
			}
			waitJS(`document.readyState === "complete" && document.body.innerText.includes("Passkey “Test laptop” added")`)
			// Log out, then log in with the passkey alone.
			if err := chromedp.Do(ctx, chromedp.Click(`form[action="/logout"] button`)); err != nil {
				t.Fatal(err)
			}
			waitPath("/")
			if err := chromedp.Do(ctx,
				chromedp.Navigate(base+"/login"),
				chromedp.WaitVisible(`[data-passkey-login] button`),
				chromedp.Click(`[data-passkey-login] button`),
			); err != nil {
				t.Fatal(err)
			}
			waitPath("/studio")
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/settings/passkeys")); err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("table").innerText`))
			if err != nil || !strings.Contains(text, "Test laptop") || strings.Contains(text, "Never") {
				t.Fatalf("passkey list after logging in with it: %q %v", text, err)
			}
		})
	}
}
