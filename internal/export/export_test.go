package export_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/export"
	"chorus/internal/files"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestStoreExports checks the once-a-day rule of CreateExport and that
// DeleteExpired removes the files of expired exports only.
func TestStoreExports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs, err := files.Open(ctx, "file://"+t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		svc := &export.Service{DB: db, Files: fs, Logger: slog.New(slog.DiscardHandler)}
		var ids []string
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for _, name := range []string{"ana", "bruno"} {
				m, err := tx.CreateMember(ctx, store.NewMember{Email: name + "@example.org", Username: name, PasswordHash: "x"})
				if err != nil {
					return err
				}
				e, err := tx.CreateExport(ctx, m.ID, tx.Now.Add(-24*time.Hour))
				if err != nil {
					return err
				}
				if _, err := tx.CreateExport(ctx, m.ID, tx.Now.Add(-24*time.Hour)); !errors.Is(err, chorus.ErrConflict) {
					t.Errorf("a second export the same day: %v", err)
				}
				ids = append(ids, e.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		now := db.Now()
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for i, id := range ids {
				key := "exports/" + id + "/data.zip"
				if err := fs.Put(ctx, key, strings.NewReader("zip"), "application/zip"); err != nil {
					return err
				}
				// ana's has expired, bruno's has not.
				if err := tx.ExportReady(ctx, id, key, now.Add(time.Duration(2*i-1)*time.Hour)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := svc.DeleteExpired(ctx, now); err != nil || n != 1 {
			t.Fatalf("DeleteExpired: %d, %v", n, err)
		}
		for i, id := range ids {
			e, err := db.Export(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			exists, _ := fs.Exists(ctx, "exports/"+id+"/data.zip")
			if want := i == 1; exists != want || (e.FileKey != "") != want {
				t.Errorf("export %d: file stored %v, key %q", i, exists, e.FileKey)
			}
		}
	})
}
