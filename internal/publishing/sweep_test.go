package publishing_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chorus/internal/files"
	"chorus/internal/publishing"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestSweepOrphans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		fs, err := files.Open(ctx, "file://"+dir)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		svc := &publishing.Service{DB: db, Files: fs, Logger: slog.New(slog.DiscardHandler)}
		put := func(key string, age time.Duration) {
			if err := fs.Put(ctx, key, strings.NewReader("x"), "application/octet-stream"); err != nil {
				t.Fatal(err)
			}
			when := time.Now().Add(-age)
			if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(key)), when, when); err != nil {
				t.Fatal(err)
			}
		}
		put("tracks/used/original.flac", 48*time.Hour)
		put("tracks/used/stream-abc.mp3", 48*time.Hour)
		put("tracks/orphan/original.flac", 48*time.Hour)
		put("tracks/young/original.flac", time.Minute)
		put("artists/pic/picture-300.jpg", 48*time.Hour)
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			a, _, err := tx.EnsureArtist(ctx, "Sweeper")
			if err != nil {
				return err
			}
			_, err = tx.InsertTrack(ctx, store.NewTrack{ArtistID: a.ID, Title: "t", OriginalKey: "tracks/used/original.flac",
				OriginalFormat: "flac", OriginalMIME: "audio/flac", ContentHash: "h"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		n, err := svc.SweepOrphans(ctx, time.Hour)
		if err != nil || n != 2 {
			t.Fatalf("swept %d, %v; want the old orphan track file and the unused picture", n, err)
		}
		for key, want := range map[string]bool{
			"tracks/used/original.flac": true, "tracks/used/stream-abc.mp3": true, "tracks/young/original.flac": true,
			"tracks/orphan/original.flac": false, "artists/pic/picture-300.jpg": false,
		} {
			if ok, _ := fs.Exists(ctx, key); ok != want {
				t.Errorf("%s exists = %v, want %v", key, ok, want)
			}
		}
	})
}
