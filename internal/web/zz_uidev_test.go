package web

// THROWAWAY: UI development server. Delete before handing over.

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/auth"
	"chorus/internal/files"
	"chorus/internal/jobs"
	"chorus/internal/media"
	"chorus/internal/publishing"
	"chorus/internal/store"
)

func TestUIDev(t *testing.T) {
	dir := os.Getenv("CHORUS_UIDEV")
	if dir == "" {
		t.Skip("set CHORUS_UIDEV")
	}
	ctx := context.Background()
	fresh := false
	if _, err := os.Stat(filepath.Join(dir, "chorus.db")); err != nil {
		fresh = true
	}
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "chorus.db")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := files.Open(ctx, "file://"+filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := files.NewStaging(filepath.Join(dir, "staging"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	svc := &publishing.Service{DB: db, Files: fs, Media: media.Tool{}, Staging: st, MaxBytes: 200 << 20, Logger: log}
	q, err := jobs.New(db, jobs.Config{Workers: 2, JobTimeout: 5 * time.Minute, Processor: svc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.Queue = q
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if fresh && os.Getenv("CHORUS_UIDEV_EMPTY") == "" {
		hash, _ := auth.HashPassword("password123")
		var mid int64
		_ = db.Tx(ctx, func(tx *store.Tx) error {
			m, err := tx.CreateMember(ctx, store.NewMember{Email: "demo@example.org", Username: "demo", PasswordHash: hash})
			mid = m.ID
			return err
		})
		_ = mid
		add := func(artist string, member bool, lic string, paths ...string) {
			var id int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				a, _, err := tx.EnsureArtist(ctx, artist)
				id = a.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if member {
				_, _ = db.SQL().Exec(`UPDATE artists SET member_id = ?, bio = ? WHERE id = ?`, mid, "Luna Parks makes late-night synth music in a small flat above a bakery.\n\nHeadphones recommended.", id)
			}
			for _, p := range paths {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				_, err = svc.Ingest(ctx, publishing.Upload{ArtistID: id, FileName: filepath.Base(p), Body: f, LicenceID: lic, Publish: true, DownloadOriginal: strings.HasSuffix(p, ".flac")})
				f.Close()
				if err != nil {
					t.Log(p, err)
				}
			}
		}
		g := "/tmp/uigen/"
		add("Luna Parks", true, "cc-by-sa-4.0", g+"nd1.mp3", g+"nd2.mp3", g+"nd3.mp3", g+"nd4.mp3", g+"s1.mp3")
		add("Ada Moreau", false, "cc-by-nc-4.0", g+"qr1.flac", g+"qr2.flac", g+"qr3.flac")
		wes, _ := filepath.Glob("/tmp/corpus/*.ogg")
		if len(wes) > 30 {
			wes = wes[:30]
		}
		add("Wesnoth Orchestra", false, "cc-by-4.0", wes...)
	}
	srv, err := New(Deps{DB: db, Files: fs, Publishing: svc, Logger: log, BaseURL: "http://127.0.0.1:8089", MaxUploadBytes: 200 << 20})
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:8089"
	if v := os.Getenv("CHORUS_UIADDR"); v != "" {
		addr = v
	}
	t.Log("serving on", addr)
	t.Fatal(http.ListenAndServe(addr, srv.Handler()))
}
