package main

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"chorus/internal/datamap"
	"chorus/internal/store/storetest"
)

// dataItems splits the "Your data" page into its items by data-map column.
func dataItems(t *testing.T, page string) map[string]string {
	t.Helper()
	items := map[string]string{}
	parts := strings.Split(page, `<li class="card-panel settings-section data-item" id="`)
	for _, p := range parts[1:] {
		col, rest, _ := strings.Cut(p, `"`)
		rest, _, _ = strings.Cut(rest, "</li>")
		items[col] = rest
	}
	return items
}

// TestYourDataPage checks the page listing what a member gave: each value
// with its purposes and who sees it from the data map, an optional field
// deleted in place, the email explained and sent to account deletion, and
// a visitor sent to log in.
func TestYourDataPage(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			c := signUp(t, srv.URL, "ana")
			c.verifyEmail("ana@example.org")
			if resp, body := c.saveProfile(map[string]string{"real_name": "Ana Lima", "real_name_visibility": "public",
				"location": "Porto", "location_visibility": "private"}, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save profile: %d %s", resp.StatusCode, body)
			}

			resp, body := c.get("/settings/data")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("your data: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			mustContain(t, "the settings menu", body, `<a href="/settings/data" aria-current="page">Your data</a>`)
			items := dataItems(t, string(body))
			for _, tc := range []struct{ column, value, seen string }{
				{"members.email", "ana@example.org", "only you"},
				{"members.username", "ana", "everyone"},
				{"members.password_hash", "set", "only you"},
				{"members.real_name", "Ana Lima", "everyone: you made it public"},
				{"members.location", "Porto", "only you: you made it private"},
				{"members.bio", "Not given.", "only you"},
				{"member_sessions.ip_prefix", "1 browser", "only you"},
				{"member_passkeys.credential_id", "Not given.", "only you"},
			} {
				item, ok := items[tc.column]
				if !ok {
					t.Errorf("no item for %s", tc.column)
					continue
				}
				table, column, _ := strings.Cut(tc.column, ".")
				mustContain(t, tc.column, []byte(item), tc.value, "Who can see it</dt><dd>"+tc.seen)
				for _, p := range datamap.Field(table, column).Purposes {
					mustContain(t, tc.column, []byte(item), "to "+html.EscapeString(string(p)))
				}
			}
			// Derived values are not listed as given.
			for _, col := range []string{"members.email_key", "members.username_skeleton", "members.webauthn_handle"} {
				if _, ok := items[col]; ok {
					t.Errorf("%s is listed as given", col)
				}
			}

			// The email cannot be deleted on its own: the page says why and
			// offers account deletion, which asks to confirm.
			email := []byte(items["members.email"])
			mustContain(t, "the email item", email, "there is no login", `href="/settings/delete"`, "asked to confirm")
			if strings.Contains(items["members.email"], "/delete\"><button") || strings.Contains(items["members.username"], "<form") {
				t.Error("a mandatory item offers a Delete button")
			}
			if resp, _ := c.postForm("/settings/data/email/delete", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("deleting the email: %d, want 404", resp.StatusCode)
			}
			if resp, body := c.get("/settings/delete"); resp.StatusCode != http.StatusOK {
				t.Fatalf("deletion page: %d %s", resp.StatusCode, body)
			}

			// Deleting one optional field clears it and only it.
			mustContain(t, "the real name item", []byte(items["members.real_name"]), `action="/settings/data/real_name/delete"`)
			resp, _ = c.postForm("/settings/data/real_name/delete", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/data" {
				t.Fatalf("delete real name: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body = c.get("/settings/data")
			mustContain(t, "the page after deleting", body, "Your real name is deleted.")
			items = dataItems(t, string(body))
			if it := items["members.real_name"]; !strings.Contains(it, "Not given.") || strings.Contains(it, "Ana Lima") {
				t.Errorf("real name after deleting it:\n%s", it)
			}
			mustContain(t, "the location after deleting the real name", []byte(items["members.location"]), "Porto")
			_, body = c.get("/settings/profile")
			if strings.Contains(string(body), "Ana Lima") {
				t.Error("the profile still holds the deleted real name")
			}

			// A visitor is sent to log in.
			visitor := newClient(t, srv.URL)
			if resp, _ := visitor.get("/settings/data"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("visitor: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := visitor.postForm("/settings/data/location/delete", nil); resp.StatusCode < 300 || resp.StatusCode == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("visitor deleting: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
