package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/store/storetest"
)

const (
	uaFirefoxLinux  = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	uaSafariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaChromeAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)

var endSessionForm = regexp.MustCompile(`action="/settings/sessions/([0-9a-f]+)/end"`)

// loggedIn reports whether c's login still counts: a settings page opens
// instead of sending to the login page.
func (c *client) loggedIn() bool {
	c.t.Helper()
	resp, body := c.get("/settings/sessions")
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
		return false
	}
	c.t.Fatalf("sessions page: %d %s", resp.StatusCode, body)
	return false
}

func (c *client) logIn(login, ua string) {
	c.t.Helper()
	resp, body := c.postForm("/login", url.Values{"login": {login}, "password": {"a long password"}}, "User-Agent", ua)
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s: %d %s", login, resp.StatusCode, body)
	}
}

// sessionItems splits the sessions page into its list items.
func sessionItems(page string) []string {
	parts := strings.Split(page, `<li class="card-panel session-item`)
	if len(parts) < 2 {
		return nil
	}
	items := parts[1:]
	last := len(items) - 1
	items[last], _, _ = strings.Cut(items[last], "</ul>")
	return items
}

func TestSessionsPage(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d, "--session-idle-timeout", "2h", "--session-lifetime", "12h")
			laptop := newClient(t, srv.URL)
			resp, body := laptop.postForm("/signup", url.Values{"email": {"ana@example.org"}, "username": {"ana"}, "password": {"a long password"}},
				"User-Agent", uaFirefoxLinux)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			// The configured idle timeout reaches the session cookie.
			for _, ck := range resp.Cookies() {
				if ck.Name == "chorus_session" && (ck.MaxAge < 7100 || ck.MaxAge > 7201) {
					t.Errorf("session cookie Max-Age %d, want the 2 h idle timeout", ck.MaxAge)
				}
			}
			phone := newClient(t, srv.URL)
			phone.logIn("ana", uaSafariIPhone)

			resp, body = laptop.get("/settings/sessions")
			page := string(body)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("sessions page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			items := sessionItems(page)
			if len(items) != 2 {
				t.Fatalf("the page lists %d sessions, want 2:\n%s", len(items), page)
			}
			var current, other string
			for _, it := range items {
				if strings.HasPrefix(it, ` is-current"`) {
					current = it
				} else {
					other = it
				}
			}
			for _, want := range []string{"Firefox 128 on Linux", "This session", "Desktop", "127.0.0.0/24", "just now"} {
				if !strings.Contains(current, want) {
					t.Errorf("this session's entry lacks %q:\n%s", want, current)
				}
			}
			for _, want := range []string{"Safari 17 on iOS 17", "Mobile", "127.0.0.0/24", "End this session"} {
				if !strings.Contains(other, want) {
					t.Errorf("the other session's entry lacks %q:\n%s", want, other)
				}
			}
			if strings.Contains(other, "This session") {
				t.Error("the other session is marked as this one")
			}
			for _, never := range []string{"127.0.0.1", "Gecko/20100101", "AppleWebKit"} {
				if strings.Contains(page, never) {
					t.Errorf("the page shows %q: the full address or User-Agent", never)
				}
			}
			for _, want := range []string{"2 hours without activity", "12 hours after you logged in"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page does not say the timeouts (%q)", want)
				}
			}

			// Ending the other session logs that browser out on its next request.
			m := endSessionForm.FindStringSubmatch(other)
			if m == nil {
				t.Fatalf("no end form for the other session:\n%s", other)
			}
			if resp, _ := laptop.postForm("/settings/sessions/"+m[1]+"/end", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("end session: %d", resp.StatusCode)
			}
			if phone.loggedIn() {
				t.Fatal("the ended session still counts")
			}
			if !laptop.loggedIn() {
				t.Fatal("ending the other session ended this one")
			}

			// One member cannot end another's session.
			bob := newClient(t, srv.URL)
			if resp, body := bob.postForm("/signup", url.Values{"email": {"bob@example.org"}, "username": {"bob"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup bob: %d %s", resp.StatusCode, body)
			}
			bobSession := newClient(t, srv.URL)
			bobSession.logIn("bob", uaChromeAndroid)
			_, body = bob.get("/settings/sessions")
			m = endSessionForm.FindStringSubmatch(string(body))
			if m == nil {
				t.Fatal("bob's page has no end form for his other session")
			}
			resp, _ = laptop.postForm("/settings/sessions/"+m[1]+"/end", nil)
			if resp.StatusCode != http.StatusSeeOther || !bobSession.loggedIn() {
				t.Fatalf("ana ended bob's session: %d", resp.StatusCode)
			}
			_, body = laptop.get("/settings/sessions")
			if !strings.Contains(string(body), "had already ended") {
				t.Error("ending someone else's session does not say it had ended")
			}

			// End all others: the current one stays.
			phone.logIn("ana", uaSafariIPhone)
			tablet := newClient(t, srv.URL)
			tablet.logIn("ana", uaChromeAndroid)
			resp, _ = laptop.postForm("/settings/sessions/end-others", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("end other sessions: %d", resp.StatusCode)
			}
			_, body = laptop.get("/settings/sessions")
			if page := string(body); len(sessionItems(page)) != 1 || !strings.Contains(page, "This is your only session") ||
				!strings.Contains(page, "2 other sessions ended") {
				t.Errorf("after ending all others:\n%s", page)
			}
			if phone.loggedIn() || tablet.loggedIn() {
				t.Fatal("an other session still counts after ending all others")
			}
			if !laptop.loggedIn() || !bobSession.loggedIn() {
				t.Fatal("ending all others ended this session or another member's")
			}

			// Ending this session is logging out.
			_, body = laptop.get("/settings/sessions")
			if endSessionForm.MatchString(string(body)) {
				t.Error("the only session has an end form of its own instead of Log out")
			}
			if resp, _ := laptop.postForm("/logout", nil); resp.StatusCode != http.StatusSeeOther || laptop.loggedIn() {
				t.Fatal("logout did not end the session")
			}

			// Visitors: sent to log in, and their posts are refused.
			visitor := newClient(t, srv.URL)
			if visitor.loggedIn() {
				t.Fatal("a visitor sees a sessions page")
			}
			if resp, _ := visitor.postForm("/settings/sessions/end-others", nil); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("a visitor ending sessions: %d", resp.StatusCode)
			}
		})
	}
}
