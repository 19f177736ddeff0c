package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"chorus/internal/mail"
	"chorus/internal/mail/mailtest"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// openStore opens the database of a running server, for what a test must
// set up or look at directly (roles, two-factor state, the outbox).
func openStore(t *testing.T, dbURL string) *store.DB {
	t.Helper()
	opt := store.Options{URL: dbURL}
	if p, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		opt = store.Options{SQLitePath: p}
	}
	db, err := store.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// execSQL runs a statement without parameters on the server's database.
func execSQL(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if _, err := db.SQL().ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func signUp(t *testing.T, base, username string) *client {
	t.Helper()
	c := newClient(t, base)
	resp, body := c.postForm("/signup", url.Values{"email": {username + "@example.org"}, "username": {username}, "password": {"a long password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signup %s: %d %s", username, resp.StatusCode, body)
	}
	return c
}

func logIn(t *testing.T, base, login, password string) *client {
	t.Helper()
	c := newClient(t, base)
	if resp, body := c.postForm("/login", url.Values{"login": {login}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", login, resp.StatusCode, body)
	}
	return c
}

func loggedIn(c *client) bool {
	resp, _ := c.get("/settings")
	return resp.StatusCode == http.StatusOK
}

func mustContain(t *testing.T, what string, body []byte, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !bytes.Contains(body, []byte(w)) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func TestEmailVerification(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := signUp(t, srv.URL, "vera")

			// The sign-up sent a message with a link, in both parts.
			msg := waitMail(t, srv.URL, "vera@example.org", "Confirm your email address")
			link := linkIn(t, msg.Text, srv.URL+"/verify?token=")
			if !strings.Contains(msg.HTML, `href="`+link+`"`) {
				t.Fatalf("the HTML part does not link to %s", link)
			}
			for _, h := range []string{"Date", "Message-Id", "From", "Mime-Version"} {
				if msg.Header.Get(h) == "" {
					t.Errorf("message lacks %s", h)
				}
			}
			if msg.Header.Get("Auto-Submitted") != "auto-generated" || !strings.Contains(msg.Text, `Chorus account "vera"`) {
				t.Errorf("message: Auto-Submitted %q, text:\n%s", msg.Header.Get("Auto-Submitted"), msg.Text)
			}

			// Until confirmed: a banner, and listening but no publishing.
			_, body := c.get("/")
			mustContain(t, "home page of an unconfirmed member", body, "Please verify your email", `action="/verify/resend"`)
			for _, p := range []string{"/", "/artists", "/search?q=x", "/studio"} {
				if resp, _ := c.get(p); resp.StatusCode != http.StatusOK {
					t.Errorf("%s before confirming: %d", p, resp.StatusCode)
				}
			}
			resp, body := c.get("/studio/upload")
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("upload form before confirming: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "the page that asks to confirm", body, "Please confirm your email address", "vera@example.org", "Send me a new link", `action="/verify/resend"`)
			if resp, reply := c.upload(0, uploadFile{"x.mp3", []byte("x")}); resp.StatusCode != http.StatusForbidden || !strings.Contains(reply.Error, "confirm your email") {
				t.Fatalf("upload before confirming: %d %+v", resp.StatusCode, reply)
			}
			for _, p := range []string{"/studio/publish", "/studio/tracks/1"} {
				if resp, _ := c.postForm(p, url.Values{"track": {"1"}, "licence": {"cc0-1.0"}, "action": {"publish"}}); resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s before confirming: %d, want 403", p, resp.StatusCode)
				}
			}

			// Asking again at once is refused with a reason.
			resp, body = c.postForm("/verify/resend", nil)
			if resp.StatusCode != http.StatusTooManyRequests || !bytes.Contains(body, []byte("less than a minute ago")) {
				t.Fatalf("resend at once: %d", resp.StatusCode)
			}
			if n := len(mailsTo(t, srv.URL, "vera@example.org")); n != 1 {
				t.Fatalf("%d messages after a refused resend, want 1", n)
			}

			// Opening the link (as a mail scanner does) changes nothing.
			path := strings.TrimPrefix(link, srv.URL)
			for range 2 {
				resp, body := newClient(t, srv.URL).get(path)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("GET the link: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
				}
				mustContain(t, "confirmation page", body, "vera@example.org", "Confirm my email address")
			}
			if resp, _ := c.get("/studio/upload"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("opening the link confirmed the address: %d", resp.StatusCode)
			}
			// Tokens that do not exist, hostile ones included.
			for _, bad := range []string{"nope", "<script>alert(1)</script>", strings.Repeat("A", 5000), "%00%ff"} {
				resp, body := c.get("/verify?token=" + url.QueryEscape(bad))
				if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("<script>alert")) {
					t.Errorf("GET /verify with token %.20q: %d", bad, resp.StatusCode)
				}
				if resp, _ := c.postForm("/verify", url.Values{"token": {bad}}); resp.StatusCode != http.StatusNotFound {
					t.Errorf("POST /verify with token %.20q: %d", bad, resp.StatusCode)
				}
			}

			// Pressing the button confirms; the link then is spent.
			resp, body = c.followLink(link, "/verify")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
				t.Fatalf("confirm: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			_, body = c.get("/studio")
			mustContain(t, "studio after confirming", body, "your email address is confirmed")
			if bytes.Contains(body, []byte("Please verify your email")) {
				t.Error("the banner stays after confirming")
			}
			if resp, _ := c.get("/studio/upload"); resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload form after confirming: %d", resp.StatusCode)
			}
			resp, body = c.postForm("/verify", url.Values{"token": {strings.TrimPrefix(link, srv.URL+"/verify?token=")}})
			if resp.StatusCode != http.StatusGone || !bytes.Contains(body, []byte("already used")) {
				t.Fatalf("second use of the link: %d", resp.StatusCode)
			}
			_, body = c.get("/settings")
			mustContain(t, "account page", body, "Confirmed")
			if resp, _ := c.postForm("/verify/resend", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("resend when confirmed: %d", resp.StatusCode)
			}
		})
	}
}

func TestPasswordReset(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			signUp(t, srv.URL, "rita")
			first, second := logIn(t, srv.URL, "rita", "a long password"), logIn(t, srv.URL, "rita@example.org", "a long password")
			visitor := newClient(t, srv.URL)

			_, body := visitor.get("/login")
			mustContain(t, "login page", body, `href="/reset"`)
			_, body = visitor.get("/reset")
			mustContain(t, "reset form", body, "Email address", "(required)", "we send the link")

			// A malformed address: a message on the field, the value kept as text.
			resp, body := visitor.postForm("/reset", url.Values{"email": {`<b>x</b>@"`}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("malformed address: %d", resp.StatusCode)
			}
			mustContain(t, "refused reset form", body, "valid email address", "&lt;b&gt;x&lt;/b&gt;@&#34;")
			for _, bad := range []string{"ana\xff@example.org", "ana\x00@example.org", "ana\r\nBcc: eve@example.org", strings.Repeat("a", 300) + "@example.org"} {
				resp, body := visitor.postForm("/reset", url.Values{"email": {bad}})
				if resp.StatusCode != http.StatusUnprocessableEntity || !utf8.Valid(body) || bytes.ContainsAny(body, "\x00\r") {
					t.Errorf("reset for %.20q: %d, valid text %v", bad, resp.StatusCode, utf8.Valid(body))
				}
			}

			// A registered and an unknown address get the same answer, in
			// no less time; only the registered one gets a message.
			answer := func(email string) ([]byte, time.Duration) {
				start := time.Now()
				resp, body := newClient(t, srv.URL).postForm("/reset", url.Values{"email": {email}})
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("reset for %s: %d %q", email, resp.StatusCode, resp.Header.Get("Cache-Control"))
				}
				return bytes.ReplaceAll(body, []byte(email), []byte("EMAIL")), time.Since(start)
			}
			known, knownTime := answer("RITA@example.org")
			unknown, unknownTime := answer("nobody@example.org")
			if !bytes.Equal(known, unknown) {
				t.Fatalf("the answers differ:\n%s\n---\n%s", known, unknown)
			}
			if knownTime < 250*time.Millisecond || unknownTime < 250*time.Millisecond {
				t.Errorf("answers took %s and %s, want at least 250ms each", knownTime, unknownTime)
			}
			mustContain(t, "answer", known, "If an account uses")
			msg := waitMail(t, srv.URL, "rita@example.org", "Reset your Chorus password")
			if n := len(mailsTo(t, srv.URL, "nobody@example.org")); n != 0 {
				t.Fatalf("%d messages to an address with no account", n)
			}
			// Asking again at once: the same answer, and no second message.
			if again, _ := answer("rita@example.org"); !bytes.Equal(again, known) {
				t.Fatal("the answer over the limit differs")
			}
			time.Sleep(500 * time.Millisecond)
			if got := mailsTo(t, srv.URL, "rita@example.org"); len(got) != 2 { // the confirmation and one reset
				t.Fatalf("%d messages to rita, want 2", len(got))
			}

			link := linkIn(t, msg.Text, srv.URL+"/reset/")
			path := strings.TrimPrefix(link, srv.URL)
			for range 2 { // opening the form spends nothing
				resp, body := visitor.get(path)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("reset form: %d", resp.StatusCode)
				}
				mustContain(t, "new password form", body, "New password", `autocomplete="new-password"`)
			}
			resp, body = visitor.postForm(path, url.Values{"password": {"short"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte("at least 8")) || bytes.Contains(body, []byte(`value="short"`)) {
				t.Fatalf("short new password: %d", resp.StatusCode)
			}
			resp, _ = visitor.postForm(path, url.Values{"password": {"a new long password"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
				t.Fatalf("reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}

			// Every session ended; the old password no longer works.
			if loggedIn(first) || loggedIn(second) {
				t.Fatal("a session survived the reset")
			}
			if resp, _ := newClient(t, srv.URL).postForm("/login", url.Values{"login": {"rita"}, "password": {"a long password"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("old password after reset: %d", resp.StatusCode)
			}
			logIn(t, srv.URL, "rita", "a new long password")
			changed := waitMail(t, srv.URL, "rita@example.org", "Your Chorus password was changed")
			if !strings.Contains(changed.Text, "has been logged out") || !strings.Contains(changed.Text, srv.URL+"/reset") {
				t.Errorf("password changed notice:\n%s", changed.Text)
			}
			// The link works once.
			if resp, _ := visitor.get(path); resp.StatusCode != http.StatusGone {
				t.Fatalf("reset link after use: %d", resp.StatusCode)
			}
			if resp, _ := visitor.postForm(path, url.Values{"password": {"a third long password"}}); resp.StatusCode != http.StatusGone {
				t.Fatalf("second reset with the link: %d", resp.StatusCode)
			}
			if resp, _ := visitor.get("/reset/" + strings.Repeat("x", 43)); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("made-up reset link: %d", resp.StatusCode)
			}
		})
	}
}

func TestEmailChange(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			c := signUp(t, srv.URL, "emma")
			c.verifyEmail("emma@example.org")
			signUp(t, srv.URL, "otto")

			resp, body := c.get("/settings")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("settings: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "account page", body, `aria-label="Settings"`, "emma@example.org", "Confirmed", "emma",
				"New email address", "(required)", "Current password", "Log out every other browser", `name="end_others" type="checkbox" value="on" checked`)
			if bytes.Contains(body, []byte("Two-factor code")) {
				t.Error("a code is asked for without two-factor authentication")
			}
			if resp, _ := newClient(t, srv.URL).get("/settings"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("settings for a visitor: %d", resp.StatusCode)
			}

			// Refusals: a message on the field, what was typed kept (not the password).
			for _, tc := range []struct {
				email, password, want string
			}{
				{"nadia@elsewhere.net", "wrong password", "not your current password"},
				{"nadia@elsewhere.net", "", "Enter your current password"},
				{"not an address", "a long password", "valid email address"},
				{"<script>@x.org", "a long password", "valid email address"},
				{"OTTO@example.org", "a long password", "Another account uses this address"},
				{"emma@example.org", "a long password", "already your address"},
			} {
				resp, body := c.postForm("/settings/email", url.Values{"new_email": {tc.email}, "password": {tc.password}})
				if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(tc.want)) {
					t.Errorf("change to %q: %d, want 422 with %q", tc.email, resp.StatusCode, tc.want)
				}
				if tc.password != "" && bytes.Contains(body, []byte(`value="`+tc.password+`"`)) {
					t.Errorf("the password was sent back in the form")
				}
				if strings.HasPrefix(tc.email, "<") && bytes.Contains(body, []byte(tc.email)) {
					t.Errorf("%q shown as HTML", tc.email)
				}
			}
			_, body = c.postForm("/settings/email", url.Values{"new_email": {"nadia@elsewhere.net"}, "password": {"nope"}})
			mustContain(t, "refused change", body, `value="nadia@elsewhere.net"`)

			resp, _ = c.postForm("/settings/email", url.Values{"new_email": {"Nadia@Elsewhere.net"}, "password": {"a long password"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change: %d", resp.StatusCode)
			}
			confirm := waitMail(t, srv.URL, "Nadia@Elsewhere.net", "Confirm your new email address")
			notice := waitMail(t, srv.URL, "emma@example.org", "email address is being changed")
			if !strings.Contains(notice.Text, "N•••@E•••.net") || strings.Contains(notice.Text+notice.HTML, "Elsewhere.net") {
				t.Fatalf("the notice to the old address does not mask the new one:\n%s", notice.Text)
			}
			// Nothing changes before the link is followed.
			logIn(t, srv.URL, "emma@example.org", "a long password")
			_, body = c.get("/settings")
			mustContain(t, "account page before confirming", body, "emma@example.org", "We sent a link to Nadia@Elsewhere.net")

			link := linkIn(t, confirm.Text, srv.URL+"/email/confirm?token=")
			resp, body = newClient(t, srv.URL).followLink(link, "/email/confirm") // from another browser, logged out
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
				t.Fatalf("confirm the new address: %d %s", resp.StatusCode, body)
			}
			_, body = c.get("/settings")
			mustContain(t, "account page after the change", body, "Nadia@Elsewhere.net", "Confirmed")
			logIn(t, srv.URL, "nadia@elsewhere.net", "a long password")
			if resp, _ := newClient(t, srv.URL).postForm("/login", url.Values{"login": {"emma@example.org"}, "password": {"a long password"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("login with the old address: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/email/confirm", url.Values{"token": {strings.TrimPrefix(link, srv.URL+"/email/confirm?token=")}}); resp.StatusCode != http.StatusGone {
				t.Fatalf("second use of the link: %d", resp.StatusCode)
			}

			// With two-factor authentication on, a code is asked for and checked.
			execSQL(t, db, `UPDATE members SET totp_enabled_at = created_at, totp_secret = 'JBSWY3DPEHPK3PXP' WHERE username = 'emma'`)
			_, body = c.get("/settings")
			mustContain(t, "account page with two-factor on", body, "Two-factor code", `autocomplete="one-time-code"`)
			resp, body = c.postForm("/settings/email", url.Values{"new_email": {"third@example.org"}, "password": {"a long password"}, "code": {"000000"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(`id="err-code"`)) {
				t.Fatalf("change with a wrong code: %d", resp.StatusCode)
			}
			execSQL(t, db, `UPDATE members SET totp_enabled_at = NULL, totp_secret = '' WHERE username = 'emma'`)

			// An account without a password: a recent login stands in for it.
			execSQL(t, db, `UPDATE members SET password_hash = '' WHERE username = 'emma'`)
			_, body = c.get("/settings")
			mustContain(t, "account page without a password", body, "Set a password", "less than 10 minutes ago")
			if bytes.Contains(body, []byte(`name="password"`)) {
				t.Error("the current password is asked of an account that has none")
			}
			execSQL(t, db, oldLoginSQL(d))
			resp, body = c.postForm("/settings/email", url.Values{"new_email": {"third@example.org"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte("log in again")) {
				t.Fatalf("change with an old login and no password: %d", resp.StatusCode)
			}
			execSQL(t, db, `UPDATE member_sessions SET authenticated_at = last_seen_at`)
			// The change to Nadia was less than a minute ago: one link a minute.
			if resp, body := c.postForm("/settings/email", url.Values{"new_email": {"third@example.org"}}); resp.StatusCode != http.StatusTooManyRequests ||
				!bytes.Contains(body, []byte("less than a minute ago")) || !bytes.Contains(body, []byte(`value="third@example.org"`)) {
				t.Fatalf("a second change within the minute: %d", resp.StatusCode)
			}
			execSQL(t, db, shiftTokensSQL(d))
			if resp, _ := c.postForm("/settings/email", url.Values{"new_email": {"third@example.org"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change with a recent login and no password: %d", resp.StatusCode)
			}
			waitMail(t, srv.URL, "third@example.org", "Confirm your new email address")
		})
	}
}

// shiftTokensSQL makes every link of the database sent two minutes earlier.
func shiftTokensSQL(d store.Dialect) string {
	if d == store.Postgres {
		return `UPDATE member_tokens SET created_at = created_at - INTERVAL '2 minutes'`
	}
	return `UPDATE member_tokens SET created_at = datetime(created_at, '-2 minutes')`
}

// oldLoginSQL moves every login of the database back an hour.
func oldLoginSQL(d store.Dialect) string {
	if d == store.Postgres {
		return `UPDATE member_sessions SET authenticated_at = authenticated_at - INTERVAL '1 hour'`
	}
	return `UPDATE member_sessions SET authenticated_at = datetime(authenticated_at, '-1 hour')`
}

func TestPasswordChange(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := signUp(t, srv.URL, "paul")
			other := logIn(t, srv.URL, "paul", "a long password")

			for _, tc := range []struct {
				current, next, want string
			}{
				{"wrong password", "a new long password", "not your current password"},
				{"a long password", "short", "at least 8"},
				{"a long password", "a long password", "This is your current password"},
			} {
				resp, body := c.postForm("/settings/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "end_others": {"on"}})
				if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte(tc.want)) {
					t.Errorf("change %q → %q: %d, want 422 with %q", tc.current, tc.next, resp.StatusCode, tc.want)
				}
			}
			// The box unticked: other browsers stay logged in.
			resp, body := c.postForm("/settings/password", url.Values{"current_password": {"a long password"}, "new_password": {"second password"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change: %d %s", resp.StatusCode, body)
			}
			if !loggedIn(c) || !loggedIn(other) {
				t.Fatal("a browser was logged out though the box was unticked")
			}
			msg := waitMail(t, srv.URL, "paul@example.org", "Your Chorus password was changed")
			if strings.Contains(msg.Text, "logged out") {
				t.Errorf("notice says browsers were logged out:\n%s", msg.Text)
			}
			// Ticked: every other browser is logged out, this one stays.
			resp, _ = c.postForm("/settings/password", url.Values{"current_password": {"second password"}, "new_password": {"third password"}, "end_others": {"on"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change: %d", resp.StatusCode)
			}
			if !loggedIn(c) || loggedIn(other) {
				t.Fatalf("after ending other sessions: this browser logged in %v, the other %v", loggedIn(c), loggedIn(other))
			}
			waitFor(t, "the second notice", 30*time.Second, func() bool {
				return strings.Contains(waitMail(t, srv.URL, "paul@example.org", "password was changed").Text, "except the one used")
			})
			logIn(t, srv.URL, "paul", "third password")
		})
	}
}

func TestMailThroughSMTP(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			relay := mailtest.Start(t, mailtest.Options{FailFirst: 1})
			srv := startServer(t, d, "--smtp-url", relay.URL(), "--mail-from", "Chorus Test <hello@music.example.org>")
			c := signUp(t, srv.URL, "sam")
			got := relay.WaitFor(t, "sam@example.org", 60*time.Second)
			if relay.Refused() != 1 {
				t.Fatalf("the relay refused %d attempts, want 1 before accepting", relay.Refused())
			}
			if !got.TLS || got.User != "chorus" || got.From != "hello@music.example.org" {
				t.Fatalf("delivery: TLS %v, user %q, envelope from %q", got.TLS, got.User, got.From)
			}
			msg, err := mail.Parse(got.Data)
			if err != nil {
				t.Fatal(err)
			}
			for h, want := range map[string]string{"From": `"Chorus Test" <hello@music.example.org>`, "To": "<sam@example.org>",
				"Subject": "Confirm your email address on Chorus", "Mime-Version": "1.0", "Auto-Submitted": "auto-generated"} {
				if got := msg.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if msg.Header.Get("Date") == "" || msg.Header.Get("Message-Id") == "" {
				t.Error("no Date or Message-ID")
			}
			link := linkIn(t, msg.Text, srv.URL+"/verify?token=")
			if !strings.Contains(msg.HTML, link) {
				t.Fatal("the HTML part lacks the link")
			}
			// The link works against the running server.
			if resp, body := c.followLink(link, "/verify"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("following the link: %d %s", resp.StatusCode, body)
			}
			if resp, _ := c.get("/studio/upload"); resp.StatusCode == http.StatusForbidden {
				t.Fatal("still unconfirmed after following the link")
			}
			// Nothing was written to the mail folder.
			if files, _ := filepath.Glob(filepath.Join(srv.DataDir, "mail", "*")); len(files) != 0 {
				t.Fatalf("mail files written while sending by SMTP: %v", files)
			}
		})
	}
}

func TestAdminMailLog(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			if resp, _ := newClient(t, srv.URL).get("/admin/mail"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("mail log for a visitor: %d", resp.StatusCode)
			}
			admin := signUp(t, srv.URL, "ada")
			member := signUp(t, srv.URL, "mo")
			if resp, _ := member.get("/admin/mail"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("mail log for a member: %d", resp.StatusCode)
			}
			execSQL(t, db, `UPDATE members SET role = 'admin' WHERE username = 'ada'`)
			sent := waitMail(t, srv.URL, "mo@example.org", "Confirm")

			resp, body := admin.get("/admin/mail")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("mail log: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "mail log", body, "2 messages", "mo@example.org", "ada@example.org", "Confirm your email address on Chorus", "sent", "verify_email")
			if bytes.Index(body, []byte("<td>mo@example.org</td>")) > bytes.Index(body, []byte("<td>ada@example.org</td>")) {
				t.Error("the log is not newest first")
			}
			var list []store.OutboxMessage
			list, _, _ = db.Outbox(context.Background(), 10, 0)
			id := list[0].ID
			// A member's mail is their private data: the admin first says
			// why they need to see it, and the access log records it.
			if resp, body = admin.get(fmt.Sprintf("/admin/mail/%d", id)); resp.StatusCode != http.StatusOK {
				t.Fatalf("why page: %d", resp.StatusCode)
			}
			mustContain(t, "why page", body, "Why do you need to see this?", `name="why"`)
			if bytes.Contains(body, []byte("Hello mo,")) {
				t.Fatal("a member's mail was shown before the admin said why")
			}
			resp, body = admin.get(fmt.Sprintf("/admin/mail/%d?why=mo+says+the+link+never+came", id))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("one message: %d", resp.StatusCode)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM access_log WHERE reason = 'mo says the link never came' AND subject_id = (SELECT id FROM members WHERE username = 'mo')`); n != 1 {
				t.Errorf("access log entries of the admin reading mo's mail: %d", n)
			}
			// The confirmation link acts for mo: the admin sees it without
			// its secret and cannot download the file.
			mustContain(t, "message page", body, "Hello mo,", "/verify?token=••••••", "Message-ID")
			realLink := linkIn(t, sent.Text, srv.URL+"/verify?token=")
			if bytes.Contains(body, []byte(realLink)) || bytes.Contains(body, []byte("Download the .eml file")) {
				t.Fatal("the admin page shows mo's confirmation link or offers its file")
			}
			if resp, body := admin.get(fmt.Sprintf("/admin/mail/%d/eml", id)); resp.StatusCode != http.StatusForbidden || bytes.Contains(body, []byte(realLink)) {
				t.Fatalf("download of a message with a personal link: %d", resp.StatusCode)
			}
			// A message without such a link can be read and downloaded whole.
			if resp, body := admin.postForm("/settings/password", url.Values{"current_password": {"a long password"}, "new_password": {"second orbit phrase"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("password change: %d %s", resp.StatusCode, body)
			}
			notice := waitMail(t, srv.URL, "ada@example.org", "password")
			list, _, _ = db.Outbox(context.Background(), 10, 0)
			var noticeID int64
			for _, o := range list {
				if o.Template == "password_changed" {
					noticeID = o.ID
				}
			}
			_, body = admin.get(fmt.Sprintf("/admin/mail/%d?why=checking+my+own+notice", noticeID))
			mustContain(t, "notice page", body, "Download the .eml file", "eml?why=checking")
			resp, raw := admin.get(fmt.Sprintf("/admin/mail/%d/eml?why=checking+my+own+notice", noticeID))
			file, _ := os.ReadFile(filepath.Join(srv.DataDir, "mail", notice.File))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "message/rfc822" ||
				!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !bytes.Equal(raw, file) {
				t.Fatalf("download: %d %q %q, %d bytes (file %d)", resp.StatusCode, resp.Header.Get("Content-Type"),
					resp.Header.Get("Content-Disposition"), len(raw), len(file))
			}
			for _, p := range []string{"/admin/mail/999999", "/admin/mail/abc", "/admin/mail/999999/eml", "/admin/mail?page=9"} {
				if resp, _ := admin.get(p); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: %d, want 404", p, resp.StatusCode)
				}
			}
			if resp, _ := member.get(fmt.Sprintf("/admin/mail/%d/eml", id)); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("download by a member: %d", resp.StatusCode)
			}

			// Paging: 60 more messages, queued but not sent (no job), make two pages.
			if err := db.Tx(context.Background(), func(tx *store.Tx) error {
				for i := range 60 {
					if _, err := tx.InsertOutbox(context.Background(), store.NewOutboxMessage{To: fmt.Sprintf("p%02d@example.org", i),
						Template: "verify_email", Subject: "Queued <b>message</b>", Body: []byte("x")}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			_, body = admin.get("/admin/mail")
			mustContain(t, "first page", body, "63 messages", "p59@example.org", "queued", `href="/admin/mail?page=2"`, "Queued &lt;b&gt;message&lt;/b&gt;")
			if bytes.Contains(body, []byte("mo@example.org")) {
				t.Error("the first page shows the oldest messages")
			}
			_, body = admin.get("/admin/mail?page=2")
			mustContain(t, "second page", body, "mo@example.org", "ada@example.org")
			// A queued message's text is not shown: it may hold someone's link.
			list, _, _ = db.Outbox(context.Background(), 1, 0)
			_, body = admin.get(fmt.Sprintf("/admin/mail/%d", list[0].ID))
			mustContain(t, "queued message page", body, "is not shown")

			execSQL(t, db, `DELETE FROM outbox`)
			_, body = admin.get("/admin/mail")
			mustContain(t, "empty log", body, "No email has been sent yet")
		})
	}
}
