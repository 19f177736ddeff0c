package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store/storetest"
)

// TestBrowserIdentityWalk walks a new member through identity in a real
// browser: sign up, open the verification mail that reached a real SMTP
// server, confirm, turn on two-factor authentication, log out, log in with
// the password and a code, see the sessions listed and end one.
func TestBrowserIdentityWalk(t *testing.T) {
	d := storetest.Dialects()[len(storetest.Dialects())-1] // PostgreSQL when configured
	relay := mailtest.Start(t, mailtest.Options{})
	srv := startServer(t, d, "--smtp-url", relay.URL())
	ctx := newBrowser(t)

	waitJS := func(js string) {
		t.Helper()
		waitInBrowser(ctx, t, js)
	}
	waitText := func(text string) {
		t.Helper()
		waitJS(fmt.Sprintf(`document.readyState === "complete" && document.body.innerText.includes(%q)`, text))
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText.slice(0, 600)`))
			t.Fatalf("%v; page:\n%s", err, page)
		}
	}

	// Sign up.
	do(chromedp.Navigate(srv.URL+"/signup"),
		chromedp.SendKeys("#f-email", "walker@example.org"),
		chromedp.SendKeys("#f-username", "walker"),
		chromedp.SendKeys("#f-password", "plum velvet orbit"),
		chromedp.Click(`form[action="/signup"] button[type="submit"]`))
	waitText("Welcome to Chorus")

	// The verification mail arrives at the SMTP server; its link works.
	got := relay.WaitFor(t, "walker@example.org", 60*time.Second)
	msg, err := mail.Parse(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL+"/verify?token=") + `[A-Za-z0-9_-]+`).FindString(msg.Text)
	if link == "" || !strings.Contains(msg.HTML, link) {
		t.Fatalf("no verification link in both parts:\n%s", msg.Text)
	}
	do(chromedp.Navigate(link), chromedp.WaitVisible(`form[action="/verify"] button`), chromedp.Click(`form[action="/verify"] button`))
	waitText("confirmed")

	// Turn on two-factor authentication with a code computed from the
	// secret shown on the page, as an authenticator app would.
	do(chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.Click(`form[action="/settings/security/setup"] button`))
	waitJS(`!!document.querySelector(".secret code")`)
	secret, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".secret code").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.ReplaceAll(strings.TrimSpace(secret), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	do(chromedp.SendKeys("#enable-password", "plum velvet orbit"),
		chromedp.SendKeys("#enable-code", code),
		chromedp.Click(`form[action="/settings/security/enable"] button[type="submit"]`))
	waitText("Your recovery codes")
	recovery, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".recovery-codes code").textContent`))
	if err != nil || recovery == "" {
		t.Fatalf("recovery code: %q %v", recovery, err)
	}

	// Log out; log in with the password, then a code of the next time step
	// (the one just used cannot be used again).
	do(chromedp.Click(`form[action="/logout"] button`))
	waitJS(`location.pathname === "/" && document.readyState === "complete"`)
	do(chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys("#f-login", "walker"),
		chromedp.SendKeys("#f-password", "plum velvet orbit"),
		chromedp.Click(`form[action="/login"] button[type="submit"]`))
	waitJS(`location.pathname === "/login/code" && document.readyState === "complete"`)
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	do(chromedp.SendKeys("#f-code", next), chromedp.Click(`form[action="/login/code"] button[type="submit"]`))
	waitJS(`location.pathname === "/studio" && document.readyState === "complete"`)

	// A second login, from a program with a recovery code, shows up on the
	// sessions page beside this browser's.
	other := newClient(t, srv.URL)
	if resp, body := other.postForm("/login", url.Values{"login": {"walker"}, "password": {"plum velvet orbit"}}); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/login/code" {
		t.Fatalf("second login, password step: %d %s", resp.StatusCode, body)
	}
	if resp, body := other.postForm("/login/code", url.Values{"code": {recovery}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second login, recovery code: %d %s", resp.StatusCode, body)
	}
	if resp, _ := other.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the second login does not work: %d", resp.StatusCode)
	}
	do(chromedp.Navigate(srv.URL + "/settings/sessions"))
	waitText("This session")
	listed, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.session-action").length`))
	if err != nil || listed != 2 {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("sessions listed: %d %v\n%s", listed, err, page)
	}
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if !strings.Contains(page, "Chrome") || !strings.Contains(page, "127.0.0.0/24") {
		t.Fatalf("the sessions page lacks the browser or the network:\n%s", page)
	}
	// End the other session: that program is logged out at its next request.
	do(chromedp.Click(`form.session-action[action$="/end"] button`))
	waitJS(`document.readyState === "complete" && document.querySelectorAll("form.session-action").length === 1`)
	if resp, _ := other.get("/settings"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the ended session still works: %d", resp.StatusCode)
	}
	if resp, _ := other.get("/studio"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("the ended session is not sent to log in: %d", resp.StatusCode)
	}
}
