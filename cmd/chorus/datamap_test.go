package main

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"chorus/internal/datamap"
	"chorus/internal/store/storetest"
)

var askedField = regexp.MustCompile(`(?s)<label for="f-([a-z_]+)">[^<]*<span class="req">\((required|optional)\)</span>.*?<p class="why" id="why-([a-z_]+)">(.*?)</p>`)

// renderedFields reads, from a page, each form field's label (required or
// optional) and its "why we ask" text.
func renderedFields(t *testing.T, body []byte) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, m := range askedField.FindAllSubmatch(body, -1) {
		if string(m[1]) != string(m[3]) {
			t.Fatalf("field %s has the why of %s", m[1], m[3])
		}
		out[string(m[1])] = [2]string{string(m[2]), html.UnescapeString(string(m[4]))}
	}
	return out
}

// TestFormsSayWhatTheDataMapSays checks that the sign-up, profile and PRO forms
// label each field required or optional, and explain why it is asked, in
// the words of the data map's declaration of the column it is stored in.
func TestFormsSayWhatTheDataMapSays(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			check := func(page string, body []byte, fields map[string]string) {
				t.Helper()
				got := renderedFields(t, body)
				for field, column := range fields {
					table := "members"
					if page == "/studio/pro" {
						table = "pro_members"
					}
					c := datamap.Field(table, column)
					want := [2]string{"optional", c.Why}
					if c.Mandatory != "" {
						want[0] = "required"
					}
					if got[field] != want {
						t.Errorf("%s, field %s: shows %q, the data map says %q", page, field, got[field], want)
					}
				}
			}
			visitor := newClient(t, srv.URL)
			resp, body := visitor.get("/signup")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("sign-up form: %d", resp.StatusCode)
			}
			check("/signup", body, map[string]string{"email": "email", "username": "username", "password": "password_hash"})

			c := signUp(t, srv.URL, "formreader")
			resp, body = c.get("/settings/profile")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("profile form: %d", resp.StatusCode)
			}
			check("/settings/profile", body, map[string]string{"real_name": "real_name", "location": "location", "bio": "bio", "links": "links", "picture": "picture_key"})

			c.verifyEmail("formreader@example.org")
			resp, body = c.get("/studio/pro")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("PRO form: %d", resp.StatusCode)
			}
			check("/studio/pro", body, map[string]string{"legal_name": "legal_name", "address": "address", "country": "country", "iban": "iban", "bic": "bic"})
		})
	}
}

// TestRecordOfProcessing checks that admins can read and download the
// record of processing generated from the data map, and others cannot.
func TestRecordOfProcessing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			createUser(t, srv, "rooty", "admin", "an admin password")
			admin := logIn(t, srv.URL, "rooty", "an admin password")
			resp, body := admin.get("/admin/record")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("record page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			resp, md := admin.get("/admin/record.md")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") {
				t.Fatalf("record download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			for _, row := range datamap.Record(nil) {
				if !strings.Contains(string(body), row.Where) || !strings.Contains(string(md), "| "+row.Where+" | "+string(row.Category)+" |") {
					t.Errorf("the record does not list %s (%s)", row.Where, row.Category)
				}
			}
			mustContain(t, "record", md, "| members.email | user.contact.email |", "## Processors", "Article 30")
			member := signUp(t, srv.URL, "curious")
			for _, p := range []string{"/admin/record", "/admin/record.md"} {
				if resp, _ := member.get(p); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s for a member: %d", p, resp.StatusCode)
				}
			}
		})
	}
}
