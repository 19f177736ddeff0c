package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		res, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Applied) != 0 || res.Version < 1 {
			t.Fatalf("second migrate applied %v, version %d", res.Applied, res.Version)
		}
	})
}

func mustTrack(t *testing.T, db *store.DB, artist, album, title string, tags []string, publish bool) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		a, _, err := tx.EnsureArtist(ctx, artist)
		if err != nil {
			return err
		}
		id, err = tx.InsertTrack(ctx, store.NewTrack{
			ArtistID: a.ID, AlbumTitle: album, Title: title, Tags: tags, LicenceID: "cc-by-4.0",
			OriginalKey: "k/" + title, OriginalFormat: "flac", OriginalMIME: "audio/flac", OriginalSize: 10,
			ContentHash: "hash-" + title, Publish: publish,
		})
		if err != nil {
			return err
		}
		return tx.MarkProcessed(ctx, id, store.ProcessedTrack{StreamKey: "s/" + title, Duration: 3 * time.Second, Peaks: []float32{0.5, 1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSearchCaseAndAccentInsensitive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cafe := mustTrack(t, db, "Élodie Brünn", "Cafés du Monde", "Naïve Café", []string{"Jazz"}, true)
		mustTrack(t, db, "Other", "", "Something else", []string{"rock"}, true)
		hidden := mustTrack(t, db, "Other", "", "Naive cafe draft", nil, false)
		for _, q := range []string{"naive cafe", "NAÏVE", "café naïve", "elodie", "brunn", "jazz", "cafes du", "naiv caf"} {
			res, err := db.Search(ctx, q, 10, 0)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			var ids []int64
			for _, tr := range res.Tracks {
				ids = append(ids, tr.ID)
			}
			if diff := cmp.Diff([]int64{cafe}, ids); diff != "" {
				t.Errorf("search %q (-want +got):\n%s", q, diff)
			}
		}
		res, err := db.Search(ctx, "elodie", 10, 0)
		if err != nil || len(res.Artists) != 1 || res.Artists[0].Name != "Élodie Brünn" {
			t.Errorf("artist search: %+v %v", res.Artists, err)
		}
		res, err = db.Search(ctx, "monde", 10, 0)
		if err != nil || len(res.Albums) != 1 || res.Albums[0].Title != "Cafés du Monde" {
			t.Errorf("album search: %+v %v", res.Albums, err)
		}
		for _, q := range []string{`"`, `*`, `' OR 1=1 --`, `NEAR(`, `a AND`, ``} {
			if _, err := db.Search(ctx, q, 10, 0); err != nil {
				t.Errorf("hostile query %q: %v", q, err)
			}
		}
		// Publishing the hidden draft makes it findable.
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.SetPublished(ctx, hidden, true) }); err != nil {
			t.Fatal(err)
		}
		res, err = db.Search(ctx, "naive cafe", 10, 0)
		if err != nil || res.TotalTracks != 2 {
			t.Errorf("after publishing: %d results, %v", res.TotalTracks, err)
		}
	})
}

func TestDuplicateAndNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mustTrack(t, db, "A", "", "x", nil, true)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			a, _, err := tx.EnsureArtist(ctx, "a") // same artist, case-folded
			if err != nil {
				return err
			}
			_, err = tx.InsertTrack(ctx, store.NewTrack{ArtistID: a.ID, Title: "x", OriginalKey: "k", OriginalFormat: "flac", OriginalMIME: "audio/flac", ContentHash: "hash-x"})
			return err
		})
		if !errors.Is(err, store.ErrDuplicate) || !errors.Is(err, chorus.ErrConflict) {
			t.Fatalf("duplicate insert: %v", err)
		}
		if _, err := db.Track(ctx, 999); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("missing track: %v", err)
		}
	})
}

func TestAlbumOrderAndMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateMember(ctx, store.NewMember{Email: "Ana@Example.org", Username: "Ana", PasswordHash: "h"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateMember(ctx, store.NewMember{Email: "ana@example.org", Username: "ANA", PasswordHash: "h"})
			return err
		})
		var inv *chorus.InvalidError
		if !errors.As(err, &inv) || inv.Fields["email"] == "" || inv.Fields["username"] == "" {
			t.Fatalf("duplicate member: %v", err)
		}
		m, _, err := db.MemberCredentials(ctx, "ana")
		if err != nil || m.Username != "Ana" {
			t.Fatalf("login by username: %+v %v", m, err)
		}
	})
}

func TestLookupsWithUnstorableText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, bad := range []string{"\xff", "a\x00b", "caf\xe9"} {
			if _, err := db.ArtistBySlug(ctx, bad); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("ArtistBySlug(%q): %v", bad, err)
			}
			if _, _, err := db.MemberCredentials(ctx, bad); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("MemberCredentials(%q): %v", bad, err)
			}
			if _, _, err := db.Tracks(ctx, store.TrackFilter{Tag: bad}); err != nil {
				t.Errorf("Tracks(tag %q): %v", bad, err)
			}
			if _, err := db.Search(ctx, bad, 10, 0); err != nil {
				t.Errorf("Search(%q): %v", bad, err)
			}
		}
		for in, want := range map[string]string{".": "", "..": "", " #Lo-Fi  Jazz ": "lo-fi jazz", "ÉTÉ": "été"} {
			if got := store.NormaliseTag(in); got != want {
				t.Errorf("NormaliseTag(%q) = %q, want %q", in, got, want)
			}
		}
	})
}
