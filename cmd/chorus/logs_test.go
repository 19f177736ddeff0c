package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// userAgent sets one User-Agent on every request a client sends.
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(r)
}

// TestNoPersonalDataInLogs walks a member through everything a member does
// (signing up, confirming the address, logging out and in with one wrong
// password, filling in the profile, publishing a track, changing the
// password, ending the other logins) and then reads the whole log of the
// server: it must name the member by their id only, never by their email,
// username or real name, nor hold the address or the User-Agent of their
// browser (privacy promise: log ids, not emails or IPs).
func TestNoPersonalDataInLogs(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testNoPersonalDataInLogs(t, d) })
	}
}

func testNoPersonalDataInLogs(t *testing.T, d store.Dialect) {
	const (
		email    = "quillon.marsh@example.org"
		username = "quillonmarsh"
		realName = "Quillon Zephyrine Marsh"
		location = "Vexbridge-on-Tarn"
		ua       = "Mozilla/5.0 (X11; Linux x86_64) QuillonBrowser/7.3"
		password = "a long password"
		artist   = "The Quillon Ensemble"
	)
	srv := startServer(t, d)
	browser := func() *client {
		c := newClient(t, srv.URL)
		c.http.Transport = userAgent{ua: ua, next: http.DefaultTransport}
		return c
	}
	must := func(what string, resp *http.Response, body []byte, status int) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("%s: %d, want %d\n%s", what, resp.StatusCode, status, body)
		}
	}

	c := browser()
	resp, body := c.postForm("/signup", url.Values{"email": {email}, "username": {username}, "password": {password}})
	must("sign up", resp, body, http.StatusSeeOther)
	c.verifyEmail(email)
	resp, body = c.postForm("/logout", nil)
	must("log out", resp, body, http.StatusSeeOther)
	resp, _ = c.postForm("/login", url.Values{"login": {email}, "password": {"not the password"}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a wrong password logged in")
	}
	resp, body = c.postForm("/login", url.Values{"login": {username}, "password": {password}})
	must("log in", resp, body, http.StatusSeeOther)

	resp, page := c.saveProfile(map[string]string{
		"real_name": realName, "real_name_visibility": "public",
		"location": location, "location_visibility": "private",
	}, nil)
	must("save profile", resp, []byte(page), http.StatusSeeOther)

	// Publish a generated track under a new artist.
	resp, body = c.postMultipart("/studio/artists", map[string]string{"name": artist}, nil)
	must("create artist", resp, body, http.StatusSeeOther)
	resp, reply := c.upload(0, uploadFile{"quillon.mp3", tone(t, ".mp3", 2, 523, map[string]string{"title": "Marsh Song", "artist": realName})})
	if resp.StatusCode != http.StatusOK || len(reply.Results) != 1 || reply.Results[0].TrackID == 0 {
		t.Fatalf("upload: %d %+v", resp.StatusCode, reply)
	}
	id := reply.Results[0].TrackID
	if st := c.waitTrack(id); st["status"] != "ready" {
		t.Fatalf("track: %v", st)
	}
	resp, body = c.postForm("/studio/publish", url.Values{"track": {fmt.Sprint(id)}, "licence": {"cc-by-4.0"}})
	must("publish", resp, body, http.StatusSeeOther)

	// A second browser, then a new password that ends it, then ending others.
	other := browser()
	resp, body = other.postForm("/login", url.Values{"login": {email}, "password": {password}})
	must("log in elsewhere", resp, body, http.StatusSeeOther)
	resp, body = c.postForm("/settings/password", url.Values{"current_password": {password}, "new_password": {"another long password"}, "end_others": {"on"}})
	must("change password", resp, body, http.StatusSeeOther)
	resp, body = c.postForm("/settings/sessions/end-others", nil)
	must("end other sessions", resp, body, http.StatusSeeOther)
	if other.loggedIn() {
		t.Error("the other browser is still logged in")
	}

	logs := srv.logs.String()
	if !strings.Contains(logs, "level=") {
		t.Fatalf("the server wrote no log at all:\n%s", logs)
	}
	// The server's own address is not the member's.
	own := strings.ReplaceAll(logs, strings.TrimPrefix(srv.URL, "http://"), "SERVER")
	for _, tc := range []struct{ what, value string }{
		{"email", email},
		{"username", username},
		{"real name", realName},
		{"location", location},
		{"User-Agent", ua},
		{"User-Agent product", "QuillonBrowser"},
		{"client IP address", "127.0.0.1"},
	} {
		for _, line := range strings.Split(own, "\n") {
			if strings.Contains(strings.ToLower(line), strings.ToLower(tc.value)) {
				t.Errorf("the log holds the member's %s: %s", tc.what, line)
			}
		}
	}
}
