package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ana := mustMemberNamed(t, db, "Ana")
		mustMemberNamed(t, db, "bob")

		// A new member's profile is empty, with the schema's visibility defaults.
		p, err := db.Profile(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(chorus.Profile{BioPublic: true, LinksPublic: true, PicturePublic: true}, p); diff != "" {
			t.Errorf("new profile (-want +got):\n%s", diff)
		}

		want := chorus.Profile{RealName: "Ana Lima", Location: "Porto, Portugal", Bio: "Line one.\nLine <two>.",
			Links: []string{"https://example.org/ana", "http://example.net/"}, PictureKey: "members/k1/picture",
			RealNamePublic: true, LocationPublic: false, BioPublic: true, LinksPublic: false, PicturePublic: false}
		save := func(p chorus.Profile) string {
			t.Helper()
			var old string
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				old, err = tx.SaveProfile(ctx, ana.ID, p)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return old
		}
		if old := save(want); old != "" {
			t.Errorf("first picture replaced %q", old)
		}
		got, err := db.Profile(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("saved profile (-want +got):\n%s", diff)
		}

		// By username, case-insensitively, with the member.
		m, got, err := db.ProfileByUsername(ctx, "ANA")
		if err != nil || m.ID != ana.ID || m.Username != "Ana" {
			t.Fatalf("by username: %+v, %v", m, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("profile by username (-want +got):\n%s", diff)
		}
		for _, name := range []string{"nobody", "", "a\x00b", "\xff"} {
			if _, _, err := db.ProfileByUsername(ctx, name); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("profile of %q: %v, want ErrNotFound", name, err)
			}
		}

		// No picture in the edit keeps the current one; a new one replaces it.
		edit := want
		edit.PictureKey, edit.Links, edit.PicturePublic = "", nil, true
		if old := save(edit); old != "" {
			t.Errorf("saving without a picture replaced %q", old)
		}
		got, _ = db.Profile(ctx, ana.ID)
		if got.PictureKey != "members/k1/picture" || !got.PicturePublic || got.Links != nil {
			t.Errorf("after saving without a picture: %+v", got)
		}
		edit.PictureKey = "members/k2/picture"
		if old := save(edit); old != "members/k1/picture" {
			t.Errorf("replacing the picture returned %q", old)
		}
		var removed string
		err = db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			removed, err = tx.RemoveProfilePicture(ctx, ana.ID)
			return err
		})
		if err != nil || removed != "members/k2/picture" {
			t.Fatalf("remove picture: %q, %v", removed, err)
		}
		if got, _ := db.Profile(ctx, ana.ID); got.PictureKey != "" || got.RealName != "Ana Lima" {
			t.Errorf("after removing the picture: %+v", got)
		}

		// Nothing of Ana's profile reached Bob.
		bob, _, err := db.ProfileByUsername(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := db.Profile(ctx, bob.ID); !p.Empty() {
			t.Errorf("bob's profile: %+v", p)
		}

		// A link that is not one line is refused; an unknown member is not found.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveProfile(ctx, ana.ID, chorus.Profile{Links: []string{"https://a.example/\nhttps://b.example/"}})
			return err
		})
		if err == nil {
			t.Error("a two-line link was saved")
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveProfile(ctx, 999999, chorus.Profile{})
			return err
		})
		if !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("saving the profile of no one: %v", err)
		}
		if _, err := db.Profile(ctx, 999999); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("profile of no one: %v", err)
		}
	})
}
