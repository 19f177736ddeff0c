package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"chorus/internal/datamap"
	"chorus/internal/export"
	"chorus/internal/pro"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestExportDownloadsAllMyData checks "Download all my data": a member
// with a profile, an artist and a track asks for the export, is emailed a
// link, downloads the ZIP and finds in it the manifest of every exported
// field, their values in the category files and the original of their
// track; no one else can download it, a second request the same day is
// refused, and an expired link no longer works.
func TestExportDownloadsAllMyData(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			srv := startServer(t, d)
			db := openStore(t, srv.DBURL)
			c := signUpArtist(t, srv.URL, "ana", "Ana and the Tones")
			if resp, body := c.saveProfile(map[string]string{"real_name": "Ana Lima", "real_name_visibility": "public",
				"location": "Porto", "location_visibility": "private", "picture_visibility": "public"}, jpegWithGPS(t)); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save profile: %d %s", resp.StatusCode, body)
			}
			audio := tone(t, ".flac", 1, 440, map[string]string{"title": "First Light"})
			resp, reply := c.upload(0, uploadFile{"first-light.flac", audio})
			if resp.StatusCode != http.StatusOK || len(reply.Results) != 1 || reply.Results[0].TrackID == 0 {
				t.Fatalf("upload: %d %+v", resp.StatusCode, reply)
			}
			// PRO details: the export gives the masked IBAN, never the full
			// bank details or VAT number (kept encrypted; the member sees them
			// in full on the PRO page, where each showing is logged).
			if resp, body := c.postForm("/studio/pro/join", url.Values{"legal_name": {"Ana Lima SARL"}, "address": {"1 rue de la Paix"}, "country": {"FR"},
				"entity_kind": {"company"}, "vat_id": {"FR40303265045"}, "iban": {"FR7630006000011234567890189"}, "bic": {"BNPAFRPP"},
				"accept": {"yes"}, "agreement": {pro.AgreementVersion}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("join PRO: %d %s", resp.StatusCode, body)
			}
			other := signUp(t, srv.URL, "bruno")
			other.verifyEmail("bruno@example.org")
			// Listening history: events linked with analytics consent.
			c.postForm("/privacy/consent", url.Values{"choice": {"accept"}, "return": {"/"}})
			c.get("/search?q=tonesearchword")
			other.get("/search?q=brunosearch")

			// Discussions: a thread and a reply in another's thread.
			if err := db.Tx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.CreateCategory(context.Background(), "talk", "Talk", "")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			other.startThread("talk", "Bruno's question", "bruno asks")
			c.startThread("talk", "Ana's exported thread", "ana-opening-words")
			c.reply("/discussions/t/1", "ana-reply-words")

			_, page := c.get("/settings/data")
			mustContain(t, "your data page", page, `action="/settings/data/export"`, "Download all my data")
			resp, _ = c.postForm("/settings/data/export", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("start export: %d", resp.StatusCode)
			}
			_, page = c.get("/settings/data")
			mustContain(t, "page after asking", page, "We are preparing a copy of your data")

			msg := waitMail(t, srv.URL, "ana@example.org", "Your Chorus data is ready")
			link := linkIn(t, msg.Text, srv.URL+"/settings/data/export/")
			resp, zipped := c.get(strings.TrimPrefix(link, srv.URL))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
			if err != nil {
				t.Fatal(err)
			}
			entries := map[string][]byte{}
			for _, f := range zr.File {
				r, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r)
				r.Close()
				entries[f.Name] = b
			}
			var manifest export.Manifest
			if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil {
				t.Fatalf("manifest.json: %v", err)
			}

			// Every exported column of a member's table is in the manifest,
			// and its category has a file: a column declared later is
			// exported with no code of its own.
			for _, table := range datamap.For(string(d)) {
				if table.Owner.Where == "" || table.Rows == datamap.NoRows {
					continue
				}
				for _, col := range table.Columns {
					if !col.Export.Include {
						continue
					}
					if !slices.ContainsFunc(manifest.Fields, func(f export.Field) bool {
						return f.Table == table.Name && f.Column == col.Name && f.Category == string(col.Category) && f.Retention == col.Retention
					}) {
						t.Errorf("manifest does not document %s.%s", table.Name, col.Name)
					}
					if _, ok := entries[export.CategoryFile(col.Category)]; !ok {
						t.Errorf("no %s for %s.%s", export.CategoryFile(col.Category), table.Name, col.Name)
					}
				}
			}
			for _, f := range manifest.Fields {
				if f.Table == "members" && f.Column == "password_hash" {
					t.Error("the password hash is exported")
				}
			}

			mustContain(t, "email category", entries[export.CategoryFile(datamap.Email)], `"email":"ana@example.org"`)
			mustContain(t, "name category", entries[export.CategoryFile(datamap.Name)], `"real_name":"Ana Lima"`)
			mustContain(t, "city category", entries[export.CategoryFile(datamap.City)], `"location":"Porto"`)
			mustContain(t, "public content", entries[export.CategoryFile(datamap.PublicContent)], "Ana and the Tones", "First Light")
			mustContain(t, "tracks table", entries[export.TableFile("tracks")], "title", "First Light")
			mustContain(t, "browsing history", entries[export.CategoryFile(datamap.Browsing)], `"table":"analytics_events"`, `"query":"tonesearchword"`)
			mustContain(t, "events table", entries[export.TableFile("analytics_events")], "tonesearchword")
			mustContain(t, "threads table", entries[export.TableFile("discussion_threads")], "Ana's exported thread")
			mustContain(t, "posts table", entries[export.TableFile("discussion_posts")], "ana-opening-words", "ana-reply-words")
			mustContain(t, "read markers", entries[export.TableFile("discussion_reads")], "last_post_id")
			mustContain(t, "bank account category", entries[export.CategoryFile(datamap.BankAccount)], `"iban_masked":"FR76 •••• 0189"`)
			mustContain(t, "name category", entries[export.CategoryFile(datamap.Name)], `"legal_name":"Ana Lima SARL"`)
			mustContain(t, "address category", entries[export.CategoryFile(datamap.PostalAddress)], "1 rue de la Paix")
			for name, b := range entries {
				for _, secret := range []string{"30006000011234567890189", "3000 6000 0112", "FR40303265045", "BNPAFRPP"} {
					if strings.Contains(string(b), secret) {
						t.Errorf("%s holds the bank details or VAT number in full (%s)", name, secret)
					}
				}
			}
			for name, b := range entries {
				if strings.Contains(string(b), "bruno") {
					t.Errorf("%s holds another member's data", name)
				}
			}
			var original bool
			for name, b := range entries {
				if strings.HasPrefix(name, "files/tracks/") && bytes.Equal(b, audio) {
					original = true
				}
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(entries)), func(n string) bool { return strings.HasPrefix(n, "files/members/") }) {
				t.Errorf("the profile picture is not under files/: %v", slices.Sorted(maps.Keys(entries)))
			}
			if !original {
				t.Errorf("the original upload is not under files/: %v", slices.Sorted(maps.Keys(entries)))
			}

			// Only its member can download it.
			path := strings.TrimPrefix(link, srv.URL)
			if resp, _ := other.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("another member's download: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get(path); resp.StatusCode == http.StatusOK {
				t.Error("a visitor downloaded the export")
			}

			// Once a day.
			resp, _ = c.postForm("/settings/data/export", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("second export: %d", resp.StatusCode)
			}
			_, page = c.get("/settings/data")
			mustContain(t, "page after asking again", page, "You already asked for a copy of your data today")
			var n int
			if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM exports`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("exports: %d, %v", n, err)
			}

			// After 7 days the link no longer works.
			if _, err := db.SQL().Exec(`UPDATE exports SET expires_at = created_at`); err != nil {
				t.Fatal(err)
			}
			if resp, body := c.get(path); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusGone {
				t.Errorf("expired download: %d", resp.StatusCode)
			} else {
				mustContain(t, "expired download", body, "expired")
			}

			// Erasing the account deletes the ZIP with the rest.
			if zips := zipsIn(t, srv.DataDir); len(zips) != 1 {
				t.Fatalf("stored exports before erasure: %v", zips)
			}
			if resp, body := c.postForm("/settings/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}, "when": {"now"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete account: %d %s", resp.StatusCode, body)
			}
			waitGone(t, db, "ana")
			if zips := zipsIn(t, srv.DataDir); len(zips) != 0 {
				t.Errorf("stored exports after erasure: %v", zips)
			}
		})
	}
}

// zipsIn lists the ZIP files under dir.
func zipsIn(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".zip") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
