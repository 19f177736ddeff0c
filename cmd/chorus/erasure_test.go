package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// postMultipart sends fields and files (field name to file body) the way
// a browser form with enctype=multipart/form-data does.
func (c *client) postMultipart(path string, fields map[string]string, files map[string][]byte) (*http.Response, []byte) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, v := range files {
		w, _ := mw.CreateFormFile(k, k+".jpg")
		_, _ = w.Write(v)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// memberCount counts the members called username.
func memberCount(t *testing.T, db *store.DB, username string) int {
	t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM members WHERE username = ?`
	if db.Dialect() == store.Postgres {
		q = `SELECT COUNT(*) FROM members WHERE username = $1`
	}
	if err := db.SQL().QueryRowContext(context.Background(), q, username).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitGone waits until no member is called username.
func waitGone(t *testing.T, db *store.DB, username string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for memberCount(t, db, username) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s was not erased", username)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDeleteAccountWithGracePeriod walks through "Delete my account" in
// settings: the page and its refusals, a request with a grace period that
// logging in cancels (and whose job then does nothing), and one that runs
// once the grace period is over.
func TestDeleteAccountWithGracePeriod(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d, "--erasure-grace", "2s")
			db := openStore(t, srv.DBURL)
			c := signUp(t, srv.URL, "gracie")

			_, body := c.get("/settings")
			mustContain(t, "settings navigation", body, `href="/settings/delete"`)
			resp, body := c.get("/settings/delete")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("delete page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "delete page", body, `value="later" checked`, `name="password"`, `value="now"`)

			resp, _ = c.postForm("/settings/delete", url.Values{"password": {"a long password"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("without confirming: %d", resp.StatusCode)
			}
			resp, body = c.postForm("/settings/delete", url.Values{"password": {"not my password"}, "confirm": {"yes"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Nothing was deleted") {
				t.Fatalf("wrong password: %d", resp.StatusCode)
			}
			if !loggedIn(c) {
				t.Fatal("a refused deletion logged the member out")
			}

			// With a grace period: logged out at once; logging in cancels.
			resp, _ = c.postForm("/settings/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}, "when": {"later"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete later: %d", resp.StatusCode)
			}
			if loggedIn(c) {
				t.Fatal("still logged in after asking for deletion")
			}
			again := logIn(t, srv.URL, "gracie", "a long password")
			_, body = again.get("/studio")
			mustContain(t, "page after logging in", body, "your account will not be deleted")
			time.Sleep(4 * time.Second) // the job runs, and finds the request cancelled
			if memberCount(t, db, "gracie") != 1 {
				t.Fatal("logging in did not cancel the deletion")
			}

			// Without logging in, erasure runs when the grace period ends.
			resp, _ = again.postForm("/settings/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}, "when": {"later"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete later, again: %d", resp.StatusCode)
			}
			waitGone(t, db, "gracie")
			if resp, _ := newClient(t, srv.URL).postForm("/login", url.Values{"login": {"gracie"}, "password": {"a long password"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("login after erasure: %d", resp.StatusCode)
			}
			// The username is free again (the default).
			signUp(t, srv.URL, "gracie")
		})
	}
}

// TestErasedUsernamesCanBeReserved checks --reserve-erased-usernames: the
// name of an erased account, or a look-alike, cannot be registered again.
func TestErasedUsernamesCanBeReserved(t *testing.T) {
	srv := startServer(t, store.SQLite, "--reserve-erased-usernames")
	db := openStore(t, srv.DBURL)
	c := signUp(t, srv.URL, "keeper")
	resp, _ := c.postForm("/settings/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}, "when": {"now"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete now: %d", resp.StatusCode)
	}
	waitGone(t, db, "keeper")
	for _, name := range []string{"keeper", "KEEPER"} {
		resp, body := newClient(t, srv.URL).postForm("/signup", url.Values{"email": {"new@example.org"}, "username": {name}, "password": {"a long password"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "taken") {
			t.Errorf("sign up as %q after erasure: %d", name, resp.StatusCode)
		}
	}
	var kept string
	if err := db.SQL().QueryRow(`SELECT skeleton_hash FROM reserved_usernames`).Scan(&kept); err != nil || strings.Contains(kept, "keeper") {
		t.Fatalf("reserved name kept as %q (%v)", kept, err)
	}
}
