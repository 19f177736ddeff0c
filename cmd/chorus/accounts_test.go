package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"chorus/internal/store/storetest"
)

func TestAccountsAndCrossSiteRequests(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := newClient(t, srv.URL)

			// The form marks the mandatory fields and says why they are asked.
			_, body := c.get("/signup")
			for _, want := range []string{"Email address", "(required)", "Needed to log in", "Username", "Password"} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("sign-up form lacks %q", want)
				}
			}
			// Invalid input: 422 with a message per field, nothing created.
			resp, body := c.postForm("/signup", url.Values{"email": {"nope"}, "username": {"<x>"}, "password": {"short"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte("valid email")) ||
				!bytes.Contains(body, []byte("at least 8")) || bytes.Contains(body, []byte("<x>")) {
				t.Fatalf("invalid sign-up: %d", resp.StatusCode)
			}
			// A cross-site form post is refused before it changes anything.
			resp, body = c.postForm("/signup", url.Values{"email": {"eve@example.org"}, "username": {"eve"}, "password": {"a long password"}},
				"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
			if resp.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("sent from another site")) {
				t.Fatalf("cross-site sign-up: %d, want 403", resp.StatusCode)
			}
			resp, _ = c.postForm("/login", url.Values{"login": {"eve"}, "password": {"a long password"}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("the cross-site sign-up created an account: login answered %d", resp.StatusCode)
			}

			resp, _ = c.postForm("/signup", url.Values{"email": {"ana@example.org"}, "username": {"ana"}, "password": {"a long password"}},
				"Origin", srv.URL, "Sec-Fetch-Site", "same-origin")
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("same-origin sign-up: %d", resp.StatusCode)
			}
			var cookie *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "chorus_session" {
					cookie = ck
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
				t.Fatalf("session cookie: %+v (want HttpOnly, SameSite=Lax, not Secure over plain HTTP)", cookie)
			}
			// The same email or username again is refused with a clear message.
			other := newClient(t, srv.URL)
			resp, body = other.postForm("/signup", url.Values{"email": {"ANA@example.org"}, "username": {"Ana"}, "password": {"a long password"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte("already exists")) || !bytes.Contains(body, []byte("taken")) {
				t.Fatalf("duplicate sign-up: %d", resp.StatusCode)
			}

			// Logged in: the studio opens; logged out: it sends to the login page.
			if resp, _ := c.get("/studio"); resp.StatusCode != http.StatusOK {
				t.Fatalf("studio when logged in: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/logout", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", resp.StatusCode)
			}
			resp, _ = c.get("/studio")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Fatalf("studio after logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := c.upload(0, uploadFile{"x.mp3", []byte("x")}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("upload without login: %d", resp.StatusCode)
			}
			// Wrong password, then the right one by email.
			resp, _ = c.postForm("/login", url.Values{"login": {"ana@example.org"}, "password": {"wrong password"}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", resp.StatusCode)
			}
			resp, _ = c.postForm("/login", url.Values{"login": {"ANA@example.org"}, "password": {"a long password"}, "next": {"//evil.example/"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
				t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// Publishing needs a confirmed address.
			if resp, reply := c.upload(0, uploadFile{"x.flac", tone(t, ".flac", 1, 440, nil)}); resp.StatusCode != http.StatusForbidden || !strings.Contains(reply.Error, "confirm your email") {
				t.Fatalf("upload before confirming the address: %d %+v", resp.StatusCode, reply)
			}
			c.verifyEmail("ana@example.org")
			// Uploading before having an artist profile says what to do.
			resp, reply := c.upload(0, uploadFile{"x.flac", tone(t, ".flac", 1, 440, nil)})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(reply.Error, "artist profile") {
				t.Fatalf("upload without artist: %d %+v", resp.StatusCode, reply)
			}
			// Another member's artist cannot be uploaded to.
			bob := signUpArtist(t, srv.URL, "bob", "Bob")
			resp, _ = c.upload(1, uploadFile{"x.flac", tone(t, ".flac", 1, 440, nil)})
			if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusForbidden {
				t.Fatalf("upload to another's artist: %d", resp.StatusCode)
			}
			_ = bob
		})
	}
}

func TestUploadLimitAndErrors(t *testing.T) {
	d := storetest.Dialects()[len(storetest.Dialects())-1]
	srv := startServer(t, d, "--max-upload-bytes", "20000")
	c := signUpArtist(t, srv.URL, "lim", "Limited")
	big := tone(t, ".wav", 2, 440, nil) // ~64 kB of PCM
	resp, reply := c.upload(0, uploadFile{"big.wav", big})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(reply.Results) != 1 ||
		!strings.Contains(reply.Results[0].Error, "larger than the limit of 20 KB") || reply.Results[0].File != "big.wav" {
		t.Fatalf("oversized upload: %d %+v", resp.StatusCode, reply)
	}
	small := tone(t, ".mp3", 0.5, 440, map[string]string{"title": "Small"})
	resp, reply = c.upload(0, uploadFile{"big.wav", big}, uploadFile{"small.mp3", small})
	if resp.StatusCode >= 500 || len(reply.Results) != 2 || reply.Results[1].TrackID == 0 {
		t.Fatalf("the file after an oversized one was not accepted: %d %+v", resp.StatusCode, reply)
	}
	smallID := reply.Results[1].TrackID
	// A body cut off in the middle is the sender's problem: 400, not 5xx.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("files", "cut.mp3")
	_, _ = w.Write(small)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/studio/upload", bytes.NewReader(buf.Bytes())) // no closing boundary
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if resp, body := c.do(req); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("truncated multipart body: %d %s", resp.StatusCode, body)
	}
	// With two artist profiles, the form must say which one publishes.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("name", "Second Profile")
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/studio/artists", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, _ := c.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second artist: %d", resp.StatusCode)
	}
	resp, reply = c.upload(0, uploadFile{"which.mp3", small})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(reply.Error, "Choose which") {
		t.Fatalf("upload without choosing among two artists: %d %+v", resp.StatusCode, reply)
	}
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("artist", "") // an empty choice is no choice
	w, _ = mw.CreateFormFile("files", "which.mp3")
	_, _ = w.Write(small)
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/studio/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if resp, body := c.do(req); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Choose which") {
		t.Fatalf("upload with an empty artist choice among two artists: %d %s", resp.StatusCode, body)
	}

	// Health: the process is up, and the database and file store answer.
	if resp, body := c.get("/healthz"); resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	if resp, body := c.get("/readyz"); resp.StatusCode != 200 || !strings.Contains(string(body), `"database":"ok"`) || !strings.Contains(string(body), `"files":"ok"`) {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}

	// Unknown pages and malformed ids are 404 pages, never 5xx.
	for _, p := range []string{"/nope", "/tracks/abc", "/tracks/99999", "/tracks/-1/stream", "/albums/0", "/artists/nobody",
		"/tracks/1/cover/7", "/static/nope.css", "/search/x", fmt.Sprintf("/tracks/%d/original", smallID)} {
		resp, body := c.get(p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}
