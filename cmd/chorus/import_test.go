package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"chorus/internal/store/storetest"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"chorus"}, args...), envFunc(nil), &out, &errOut)
	return out.String(), errOut.String(), err
}

// musicFolder writes generated tracks (one album, one single), a text file
// with an audio name, and a non-audio file that the folder walk ignores.
func musicFolder(t *testing.T) string {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Album/01 Ünïcödé.flac", tone(t, ".flac", 2, 440, map[string]string{"title": "Ünïcödé", "album": "Ålbum", "track": "1"}))
	write("Album/02 second.ogg", tone(t, ".ogg", 2, 550, map[string]string{"album": "Ålbum", "track": "2"}))
	write("single.mp3", tone(t, ".mp3", 2, 660, map[string]string{"title": "Single"}))
	write("broken.mp3", []byte("<html>not audio</html>"))
	write("cover.txt", []byte("ignored"))
	whole := tone(t, ".flac", 6, 770, map[string]string{"title": "Cut"})
	write("cut.flac", whole[:len(whole)*4/10])
	write(".hidden/x.mp3", []byte("ignored too"))
	return dir
}

func TestImportTwiceImportsOnce(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dir := musicFolder(t)
			data := t.TempDir()
			dbURL := storetest.URL(t, d)
			out, errOut, err := runCLI(t, "import", "--artist", "Ünï Artist", "--license", "CC BY 4.0", "--quiet", "--data", data, "--database-url", dbURL, dir)
			if err != nil {
				t.Fatalf("import: %v\n%s\n%s", err, out, errOut)
			}
			for _, want := range []string{"Imported: 3 (published under cc-by-4.0)", "Skipped, already imported: 0", "Refused: 2", "broken.mp3: this is not a supported audio file", "cut.flac: the file could not be read: it seems to be cut off"} {
				if !strings.Contains(out, want) {
					t.Errorf("first import output lacks %q:\n%s", want, out)
				}
			}
			out, _, err = runCLI(t, "import", dir, "--artist", "ünï artist", "--license", "cc-by-4.0", "--data", data, "--database-url", dbURL, "--quiet")
			if err != nil || !strings.Contains(out, "Imported: 0") || !strings.Contains(out, "Skipped, already imported: 3") ||
				!strings.Contains(out, "cut.flac: already uploaded, and its processing failed: the file could not be read: it seems to be cut off") {
				t.Fatalf("second import: %v\n%s", err, out)
			}

			// The imported music is public: serve the same data and look.
			srv := startServerOn(t, data, dbURL)
			c := newClient(t, srv.URL)
			_, body := c.get("/search?q=unicode")
			if !bytes.Contains(body, []byte("Ünïcödé")) {
				t.Errorf("imported track not found by search")
			}
			_, body = c.get("/artists/uni-artist")
			for _, want := range []string{"Ünïcödé", "second", "Single", "Ålbum"} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("artist page lacks %q", want)
				}
			}
		})
	}
}

// A folder named through a symbolic link is imported, and so is a link
// inside it to an audio file elsewhere.
func TestImportFollowsSymbolicLinks(t *testing.T) {
	elsewhere, library, links := t.TempDir(), t.TempDir(), t.TempDir()
	for _, f := range []struct {
		path string
		hz   int
	}{{filepath.Join(elsewhere, "kept elsewhere.ogg"), 480}, {filepath.Join(library, "in the library.ogg"), 520}} {
		if err := os.WriteFile(f.path, tone(t, ".ogg", 2, f.hz, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(elsewhere, "kept elsewhere.ogg"), filepath.Join(library, "linked.ogg")); err != nil {
		t.Fatal(err)
	}
	music := filepath.Join(links, "Music")
	if err := os.Symlink(library, music); err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			out, errOut, err := runCLI(t, "import", "--artist", "Linked", "--license", "cc0-1.0", "--quiet", "--data", t.TempDir(), "--database-url", storetest.URL(t, d), music)
			if err != nil || !strings.Contains(out, "Imported: 2 ") || !strings.Contains(out, "Refused: 0") {
				t.Fatalf("import through links: %v\n%s\n%s", err, out, errOut)
			}
		})
	}
}

func TestImportUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "x"}, "--artist is required"},
		{[]string{"import", "--artist", "A", "--license", "gpl", "x"}, `--license "gpl" is not one of`},
		{[]string{"import", "--artist", "A"}, "give at least one file or folder"},
		{[]string{"import", "--artist", "A", "--data", "", "x"}, "--data"},
		{[]string{"serve", "--addr", "nowhere"}, `"nowhere" is not host:port`},
		{[]string{"serve", "--database-url", "mysql://x"}, "is not supported"},
		{[]string{"nonsense"}, ""},
		{[]string{"migrate", "--database-url", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2"}, "postgres://u:xxxxx@127.0.0.1:1/db"},
	} {
		_, errOut, err := runCLI(t, tc.args...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		if strings.Contains(err.Error()+errOut, "secret") {
			t.Errorf("%v: a password is shown: %v", tc.args, err)
		}
		if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %q lacks %q (stderr %q)", tc.args, err, tc.want, errOut)
		}
	}
	for _, cmd := range []string{"serve", "import", "migrate"} {
		out, _, err := runCLI(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage: chorus "+cmd) {
			t.Errorf("%s --help: %v %q", cmd, err, out)
		}
	}
	out, _, err := runCLI(t, "help")
	if err != nil || !strings.Contains(out, "chorus import") {
		t.Errorf("help: %v %q", err, out)
	}
}

func TestMigrateCommand(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbURL := storetest.URL(t, d)
			out, _, err := runCLI(t, "migrate", "--data", t.TempDir(), "--database-url", dbURL)
			if err != nil || !strings.Contains(out, "applied 00001_catalogue.sql") || !strings.Contains(out, "applied 00002_identity.sql") {
				t.Fatalf("migrate: %v %s", err, out)
			}
			// The second run applies nothing and reports the version the first reached.
			version := regexp.MustCompile(`schema version \d+\n`).FindString(out)
			out, _, err = runCLI(t, "migrate", "--data", t.TempDir(), "--database-url", dbURL)
			if err != nil || version == "" || strings.Contains(out, "applied") || !strings.HasSuffix(out, version) {
				t.Fatalf("second migrate: %v %s (first reached %q)", err, out, version)
			}
		})
	}
}

// TestImportWhileServing runs an import on the same SQLite data directory
// as a running server: both processes share the database and files.
func TestImportWhileServing(t *testing.T) {
	data := t.TempDir()
	dbURL := "sqlite://" + filepath.Join(data, "chorus.db")
	srv := startServerOn(t, data, dbURL)
	dir := musicFolder(t)
	out, errOut, err := runCLI(t, "import", "--artist", "Live", "--license", "cc0", "--quiet", "--data", data, "--database-url", dbURL, dir)
	if err != nil || !strings.Contains(out, "Imported: 3") {
		t.Fatalf("import beside the server: %v\n%s\n%s", err, out, errOut)
	}
	c := newClient(t, srv.URL)
	resp, body := c.get("/artists/live")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("Single")) {
		t.Fatalf("server does not show what was imported beside it: %d", resp.StatusCode)
	}
	_, admin, err := runCLI(t, "admin", "jobs", "--data", data, "--database-url", dbURL)
	_ = admin
	if err != nil {
		t.Fatalf("admin jobs: %v", err)
	}
	// Completions are recorded asynchronously by whichever process ran the job.
	var outJobs string
	for range 50 {
		outJobs, _, _ = runCLI(t, "admin", "jobs", "--data", data, "--database-url", dbURL, "--state", "completed")
		if strings.Count(outJobs, "process_track") == 3 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Count(outJobs, "process_track") != 3 {
		t.Errorf("admin jobs lists %d completed track jobs, want 3:\n%s", strings.Count(outJobs, "process_track"), outJobs)
	}
	_ = fmt.Sprint
}

// TestImportDraftsForOwner imports without a licence for a member, who then
// finds the drafts in the studio and publishes them.
func TestImportDraftsForOwner(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			data := t.TempDir()
			dbURL := storetest.URL(t, d)
			srv := startServerOn(t, data, dbURL)
			c := newClient(t, srv.URL)
			if resp, _ := c.postForm("/signup", url.Values{"email": {"olga@example.org"}, "username": {"olga"}, "password": {"a long password"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d", resp.StatusCode)
			}
			c.verifyEmail("olga@example.org")
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "draft.mp3"), tone(t, ".mp3", 1, 440, map[string]string{"title": "Draft Song"}), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := runCLI(t, "import", "--artist", "Olga", "--data", data, "--database-url", dbURL, dir); err == nil || !strings.Contains(err.Error(), "--owner") {
				t.Fatalf("import without licence or owner: %v", err)
			}
			if _, _, err := runCLI(t, "import", "--artist", "Olga", "--owner", "nobody", "--data", data, "--database-url", dbURL, dir); err == nil || !strings.Contains(err.Error(), "no member") {
				t.Fatalf("import for an unknown owner: %v", err)
			}
			out, errOut, err := runCLI(t, "import", "--artist", "Olga", "--owner", "olga@example.org", "--quiet", "--data", data, "--database-url", dbURL, dir)
			if err != nil || !strings.Contains(out, "Imported: 1 (as drafts") {
				t.Fatalf("import for olga: %v\n%s%s", err, out, errOut)
			}
			_, body := c.get("/studio")
			if !bytes.Contains(body, []byte("Draft Song")) || !bytes.Contains(body, []byte("Publish 1 draft")) {
				t.Fatalf("the owner's studio does not list the imported draft")
			}
			if resp, _ := c.get("/tracks/1"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("draft is public: %d", resp.StatusCode)
			}
			// The owner can listen to the draft before publishing; a visitor cannot.
			if resp, _ := c.get("/tracks/1/stream"); resp.StatusCode != http.StatusOK {
				t.Fatalf("owner's preview of the draft: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).get("/tracks/1/stream"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("visitor's stream of the draft: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/studio/publish", url.Values{"track": {"1"}, "licence": {"cc-by-nc-4.0"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("publish: %d", resp.StatusCode)
			}
			if resp, _ := c.get("/tracks/1"); resp.StatusCode != http.StatusOK {
				t.Fatalf("published import: %d", resp.StatusCode)
			}

			// Deleting needs the confirmation, then takes the track, its
			// search entry and its files.
			stored, _ := filepath.Glob(filepath.Join(data, "files", "tracks", "*", "*"))
			if len(stored) < 2 {
				t.Fatalf("stored files before deletion: %v", stored)
			}
			if resp, _ := c.postForm("/studio/tracks/1/delete", nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete without confirmation: %d", resp.StatusCode)
			}
			if resp, _ := c.get("/tracks/1"); resp.StatusCode != http.StatusOK {
				t.Fatalf("deleted without confirmation: %d", resp.StatusCode)
			}
			if resp, _ := newClient(t, srv.URL).postForm("/studio/tracks/1/delete", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("visitor's delete: %d", resp.StatusCode)
			}
			if resp, _ := c.postForm("/studio/tracks/1/delete", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d", resp.StatusCode)
			}
			for _, p := range []string{"/tracks/1", "/tracks/1/stream", "/studio/tracks/1"} {
				if resp, _ := c.get(p); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s after deletion: %d", p, resp.StatusCode)
				}
			}
			if _, body := c.get("/search?q=draft+song"); bytes.Contains(body, []byte("Draft Song")) {
				t.Errorf("search still finds the deleted track")
			}
			if left, _ := filepath.Glob(filepath.Join(data, "files", "tracks", "*", "*")); len(left) != 0 {
				t.Errorf("files of the deleted track remain: %v", left)
			}
		})
	}
}
