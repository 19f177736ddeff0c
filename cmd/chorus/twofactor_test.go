package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"chorus/internal/auth"
	"chorus/internal/store/storetest"
)

// TestTwoFactorThroughTheProgram turns two-factor on and logs in with it
// against the real program, on the real clock.
func TestTwoFactorThroughTheProgram(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := newClient(t, srv.URL)
			resp, _ := c.postForm("/signup", url.Values{"email": {"tess@example.org"}, "username": {"tess"}, "password": {"tess's password"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/settings/security/setup", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("setup: %d", resp.StatusCode)
			}
			resp, body := c.get("/settings/security")
			m := regexp.MustCompile(`<p class="secret"><code>([A-Z2-7 ]+)</code>`).FindSubmatch(body)
			if resp.StatusCode != http.StatusOK || m == nil || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("setup page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			secret := strings.ReplaceAll(string(m[1]), " ", "")
			code := func(at time.Time) string {
				c, err := auth.TOTPCode(secret, at)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			resp, body = c.postForm("/settings/security/enable", url.Values{"password": {"tess's password"}, "code": {code(time.Now())}})
			codes := regexp.MustCompile(`<li><code>([0-9a-z-]{29})</code></li>`).FindAllSubmatch(body, -1)
			if resp.StatusCode != http.StatusOK || len(codes) != 10 {
				t.Fatalf("enable: %d with %d codes\n%s", resp.StatusCode, len(codes), body)
			}
			c.postForm("/logout", nil)

			// Password, then code.
			resp, _ = c.postForm("/login", url.Values{"login": {"tess"}, "password": {"tess's password"}, "next": {"/studio"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/code" {
				t.Fatalf("password: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := c.get("/studio"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("studio with only the password: %d", resp.StatusCode)
			}
			// The code that turned it on cannot log in: its time step is used.
			resp, _ = c.postForm("/login/code", url.Values{"code": {code(time.Now().Add(-30 * time.Second))}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("old code: %d", resp.StatusCode)
			}
			resp, body = c.postForm("/login/code", url.Values{"code": {code(time.Now().Add(30 * time.Second))}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
				t.Fatalf("code: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), html.UnescapeString(string(body)))
			}
			if resp, _ := c.get("/studio"); resp.StatusCode != http.StatusOK {
				t.Fatalf("studio after both factors: %d", resp.StatusCode)
			}
			// A recovery code logs in once.
			for use, want := range []int{http.StatusSeeOther, http.StatusUnprocessableEntity} {
				c.postForm("/logout", nil)
				c.postForm("/login", url.Values{"login": {"tess"}, "password": {"tess's password"}})
				resp, _ = c.postForm("/login/code", url.Values{"code": {string(codes[0][1])}})
				if resp.StatusCode != want {
					t.Fatalf("recovery code, use %d: %d, want %d", use+1, resp.StatusCode, want)
				}
			}
			// Each change to how tess logs in was told to her by email.
			waitMail(t, srv.URL, "tess@example.org", "How you log in")
			var told []string
			for _, m := range mailsTo(t, srv.URL, "tess@example.org") {
				if strings.Contains(m.Subject, "How you log in") {
					told = append(told, m.Text)
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for len(told) < 2 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				told = told[:0]
				for _, m := range mailsTo(t, srv.URL, "tess@example.org") {
					if strings.Contains(m.Subject, "How you log in") {
						told = append(told, m.Text)
					}
				}
			}
			all := strings.Join(told, "\n")
			if !strings.Contains(all, "two-factor authentication was turned on") || !strings.Contains(all, "recovery codes was used") {
				t.Fatalf("security notices: %d messages\n%s", len(told), all)
			}
		})
	}
}
