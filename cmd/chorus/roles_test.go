package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/store/storetest"
)

// TestAdminBootstrapRolesAndSuspension follows the first admin from the
// command line to the members page: change a role, suspend a member (who
// is logged out and cannot log in again, and is told why), restore them.
func TestAdminBootstrapRolesAndSuspension(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := []string{"--data", srv.DataDir, "--database-url", srv.DBURL}

			// The first admin, with a password from a file.
			pwFile := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(pwFile, []byte("an admin password\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, err := runCLI(t, append([]string{"admin", "create-user", "--email", "root@example.org", "--username", "rooty", "--role", "admin", "--password-file", pwFile}, db...)...)
			if err != nil || !strings.Contains(out, `Created admin "rooty"`) {
				t.Fatalf("create-user: %v\n%s", err, out)
			}
			// Without a password source and a terminal, one is generated and shown once.
			out, _, err = runCLI(t, append([]string{"admin", "create-user", "--email", "mod@example.org", "--username", "moddy"}, db...)...)
			m := regexp.MustCompile(`Password \(shown once, store it now\): (\S+)`).FindStringSubmatch(out)
			if err != nil || m == nil {
				t.Fatalf("generated password: %v\n%s", err, out)
			}
			generated := m[1]
			// Bad input is refused with the field named; nothing is created.
			_, _, err = runCLI(t, append([]string{"admin", "create-user", "--email", "x@example.org", "--username", "settings", "--role", "admin", "--password-file", pwFile}, db...)...)
			if err == nil || !strings.Contains(err.Error(), "--username: This name is reserved") {
				t.Fatalf("reserved username: %v", err)
			}
			_, _, err = runCLI(t, append([]string{"admin", "create-user", "--email", "x@example.org", "--username", "xx", "--role", "king"}, db...)...)
			if err == nil || !strings.Contains(err.Error(), "not a role") {
				t.Fatalf("bad role: %v", err)
			}

			// A member signs up on the web.
			bob := newClient(t, srv.URL)
			if resp, body := bob.postForm("/signup", url.Values{"email": {"bob@example.org"}, "username": {"bob"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %s", resp.StatusCode, body)
			}
			// Members cannot open the admin pages; visitors are sent to log in.
			if resp, _ := bob.get("/admin/members"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("member on /admin/members: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get("/admin"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("visitor on /admin: %d", resp.StatusCode)
			}

			// The generated password works.
			mod := newClient(t, srv.URL)
			if resp, _ := mod.postForm("/login", url.Values{"login": {"moddy"}, "password": {generated}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login with the generated password: %d", resp.StatusCode)
			}
			admin := newClient(t, srv.URL)
			if resp, _ := admin.postForm("/login", url.Values{"login": {"rooty"}, "password": {"an admin password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("admin login: %d", resp.StatusCode)
			}
			resp, body := admin.get("/admin/members?q=bo")
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("bob@example.org")) || bytes.Contains(body, []byte("mod@example.org")) {
				t.Fatalf("members page: %d\n%s", resp.StatusCode, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("admin page Cache-Control %q, want no-store", cc)
			}
			bobID := regexp.MustCompile(`/admin/members/(\d+)/suspend`).FindSubmatch(body)
			if bobID == nil {
				t.Fatal("no suspend form for bob")
			}
			id := string(bobID[1])

			// Roles: make bob a moderator; an unknown role is refused with a message.
			admin.postForm("/admin/members/"+id+"/role", url.Values{"role": {"moderator"}})
			_, body = admin.get("/admin/members?role=moderator")
			if !bytes.Contains(body, []byte("bob@example.org")) {
				t.Fatal("bob is not listed as a moderator")
			}
			admin.postForm("/admin/members/"+id+"/role", url.Values{"role": {"<b>king</b>"}})
			_, body = admin.get("/admin/members")
			if !bytes.Contains(body, []byte("Choose one of the roles")) || bytes.Contains(body, []byte("<b>king")) {
				t.Fatal("an unknown role was not refused with a message")
			}

			// Suspend bob: his open session ends at once, and login says why.
			admin.postForm("/admin/members/"+id+"/suspend", url.Values{"reason": {"Spam <script>links</script>"}})
			if resp, _ := bob.get("/studio"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("suspended member still logged in: %d", resp.StatusCode)
			}
			resp, body = newClient(t, srv.URL).postForm("/login", url.Values{"login": {"bob"}, "password": {"a long password"}})
			if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("suspended")) ||
				!bytes.Contains(body, []byte("Spam &lt;script&gt;links")) || !bytes.Contains(body, []byte("copy of your data")) {
				t.Fatalf("suspended login: %d\n%s", resp.StatusCode, body)
			}
			// The CLI restores him.
			if out, _, err := runCLI(t, append([]string{"admin", "unsuspend", "bob"}, db...)...); err != nil || !strings.Contains(out, "may log in again") {
				t.Fatalf("unsuspend: %v %s", err, out)
			}
			if resp, _ := newClient(t, srv.URL).postForm("/login", url.Values{"login": {"bob"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login after unsuspend: %d", resp.StatusCode)
			}

			// The last admin cannot step down, from the web or the command line.
			_, body = admin.get("/admin/members?q=rooty")
			rootID := regexp.MustCompile(`/admin/members/(\d+)/role`).FindSubmatch(body)
			admin.postForm("/admin/members/"+string(rootID[1])+"/role", url.Values{"role": {"member"}})
			_, body = admin.get("/admin/members")
			if !bytes.Contains(body, []byte("only admin")) {
				t.Fatal("the last admin could step down")
			}
			if _, _, err := runCLI(t, append([]string{"admin", "suspend", "rooty"}, db...)...); err == nil || !strings.Contains(err.Error(), "only admin") {
				t.Fatalf("suspending the last admin from the CLI: %v", err)
			}
			out, _, err = runCLI(t, append([]string{"admin", "members", "--role", "admin"}, db...)...)
			if err != nil || !strings.Contains(out, "rooty") || strings.Contains(out, "bob") {
				t.Fatalf("admin members: %v\n%s", err, out)
			}
		})
	}
}

// TestSecurityHeaders checks the headers of public pages, personal pages
// and HSTS behind an https base URL.
func TestSecurityHeaders(t *testing.T) {
	srv := startServer(t, storetest.Dialects()[0], "--base-url", "https://music.example.org")
	c := newClient(t, srv.URL)
	resp, _ := c.get("/")
	h := resp.Header
	for k, want := range map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "same-origin",
		"Strict-Transport-Security": "max-age=31536000",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if cc := h.Get("Cache-Control"); cc == "no-store" {
		t.Error("the public home page of a visitor should be cacheable")
	}
	resp, _ = c.get("/login")
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("login page without no-store")
	}
}

// TestSessionTokensStoredHashed checks that the database holds no session
// cookie value: a copy of it must not log anyone in.
func TestSessionTokensStoredHashed(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := newClient(t, srv.URL)
			resp, _ := c.postForm("/signup", url.Values{"email": {"hana@example.org"}, "username": {"hana"}, "password": {"a long password"}})
			var cookie string
			for _, ck := range resp.Cookies() {
				if ck.Name == "chorus_session" {
					cookie = ck.Value
				}
			}
			if cookie == "" {
				t.Fatal("no session cookie after sign-up")
			}
			db := openStore(t, srv.DBURL)
			rows, err := db.SQL().Query(`SELECT token FROM sessions`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var token string
				if err := rows.Scan(&token); err != nil {
					t.Fatal(err)
				}
				n++
				if token == cookie || strings.Contains(token, cookie) {
					t.Fatal("the sessions table holds the cookie value")
				}
			}
			if n == 0 {
				t.Fatal("no session stored at all")
			}
			// The cookie still works.
			if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusOK {
				t.Fatalf("settings with the session: %d", resp.StatusCode)
			}
		})
	}
}

// TestOversizedFormsAndGuessingInSettings checks that a form far too large
// is refused whole with 413, that an over-long suspension reason is
// refused rather than cut, and that guessing the current password on the
// account page meets the login's growing waits.
func TestOversizedFormsAndGuessingInSettings(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := newClient(t, srv.URL)
			admin.postForm("/login", url.Values{"login": {"rooty"}, "password": {"an admin password"}})
			bob := newClient(t, srv.URL)
			bob.postForm("/signup", url.Values{"email": {"bob@example.org"}, "username": {"bob"}, "password": {"a long password"}})
			_, body := admin.get("/admin/members?q=bob")
			id := regexp.MustCompile(`/admin/members/(\d+)/suspend`).FindSubmatch(body)
			if id == nil {
				t.Fatal("no suspend form for bob")
			}
			resp, body := admin.postForm("/admin/members/"+string(id[1])+"/suspend", url.Values{"reason": {strings.Repeat("x", 300_000)}})
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(body, []byte("nothing in it was saved")) {
				t.Fatalf("oversized form: %d", resp.StatusCode)
			}
			admin.postForm("/admin/members/"+string(id[1])+"/suspend", url.Values{"reason": {strings.Repeat("y", 600)}})
			_, body = admin.get("/admin/members?q=bob")
			if !bytes.Contains(body, []byte("Keep the reason to 500 characters")) || bytes.Contains(body, []byte(">Suspended<")) {
				t.Fatal("an over-long reason was not refused, or bob was suspended anyway")
			}
			if resp, _ := bob.get("/settings"); resp.StatusCode != http.StatusOK {
				t.Fatalf("bob was logged out: %d", resp.StatusCode)
			}

			// Guessing bob's password on his account page slows down.
			var last *http.Response
			for i := range 12 {
				last, _ = bob.postForm("/settings/password", url.Values{"current_password": {fmt.Sprintf("guess %d", i)}, "new_password": {"zebra orbit lamp"}})
				if last.StatusCode == http.StatusTooManyRequests {
					break
				}
				if last.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("guess %d: %d", i, last.StatusCode)
				}
			}
			if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
				t.Fatalf("12 wrong current passwords were all checked: last %d", last.StatusCode)
			}
		})
	}
}

// TestUnverifiedMembersPublishNothing checks that a member who has not
// confirmed their address cannot make an artist page, and that their
// profile page is shown to no one but themselves.
func TestUnverifiedMembersPublishNothing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := newClient(t, srv.URL)
			c.postForm("/signup", url.Values{"email": {"una@example.org"}, "username": {"una"}, "password": {"a long password"}})
			resp, body := c.postForm("/studio/artists", url.Values{"name": {"Spam Artist"}, "bio": {"Buy now"}})
			if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("confirm")) {
				t.Fatalf("artist page by an unverified member: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get("/artists/spam-artist"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("the artist page exists: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get("/members/una"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("an unverified member's page shown to a visitor: %d", resp.StatusCode)
			}
			if resp, _ := c.get("/members/una"); resp.StatusCode != http.StatusOK {
				t.Fatalf("the member cannot see their own page: %d", resp.StatusCode)
			}
			c.verifyEmail("una@example.org")
			if resp, _ := newClient(t, srv.URL).get("/members/una"); resp.StatusCode != http.StatusOK {
				t.Fatalf("a verified member's page: %d", resp.StatusCode)
			}
		})
	}
}
