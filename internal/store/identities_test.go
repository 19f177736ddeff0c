package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func mustMember(t *testing.T, db *store.DB, username, passwordHash string) chorus.Member {
	t.Helper()
	var m chorus.Member
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: passwordHash})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func link(db *store.DB, i store.Identity) (store.Identity, error) {
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		i, err = tx.LinkIdentity(context.Background(), i)
		return err
	})
	return i, err
}

func unlink(db *store.DB, memberID int64, provider string) error {
	return db.Tx(context.Background(), func(tx *store.Tx) error {
		return tx.UnlinkIdentity(context.Background(), memberID, provider)
	})
}

func TestIdentitiesLinkFindRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ana := mustMember(t, db, "ana", "")
		bob := mustMember(t, db, "bob", "$argon2id$x")
		g, err := link(db, store.Identity{MemberID: ana.ID, Provider: "google", Subject: "1234", Email: "ana@gmail.example",
			EmailVerified: true, DisplayName: "Ana Lima", AvatarURL: "https://pics.example/ana.png"})
		if err != nil {
			t.Fatal(err)
		}
		if g.ID == 0 || g.CreatedAt.IsZero() {
			t.Fatalf("link returned %+v without id or time", g)
		}
		got, err := db.IdentityBySubject(ctx, "google", "1234")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g, got, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("identity read back (-linked +read):\n%s", diff)
		}
		// The subject is unique per provider, not across providers.
		if _, err := db.IdentityBySubject(ctx, "facebook", "1234"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("same subject at another provider: %v, want not found", err)
		}
		if _, err := db.IdentityBySubject(ctx, "google", "12\x0034"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("unstorable subject: %v, want not found", err)
		}
		// One provider account belongs to one member; a member has one
		// account per provider.
		if _, err := link(db, store.Identity{MemberID: bob.ID, Provider: "google", Subject: "1234"}); !errors.Is(err, store.ErrIdentityTaken) {
			t.Errorf("linking ana's Google account to bob: %v", err)
		}
		if _, err := link(db, store.Identity{MemberID: ana.ID, Provider: "google", Subject: "5678"}); !errors.Is(err, store.ErrIdentityTaken) {
			t.Errorf("a second Google account for ana: %v", err)
		}
		if _, err := link(db, store.Identity{MemberID: ana.ID, Provider: "twitter", Subject: "1234", DisplayName: "ana"}); err != nil {
			t.Fatal(err)
		}
		list, err := db.Identities(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		var providers []string
		for _, i := range list {
			providers = append(providers, i.Provider)
		}
		if diff := cmp.Diff([]string{"google", "twitter"}, providers); diff != "" {
			t.Errorf("ana's identities (-want +got):\n%s", diff)
		}
		if list, err := db.Identities(ctx, bob.ID); err != nil || len(list) != 0 {
			t.Errorf("bob's identities: %v %v, want none", list, err)
		}

		g.Email, g.EmailVerified, g.DisplayName, g.AvatarURL = "new@gmail.example", false, "Ana L.", ""
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.RefreshIdentity(ctx, g) }); err != nil {
			t.Fatal(err)
		}
		got, _ = db.IdentityBySubject(ctx, "google", "1234")
		if got.Email != "new@gmail.example" || got.EmailVerified || got.DisplayName != "Ana L." || got.AvatarURL != "" {
			t.Errorf("after refresh: %+v", got)
		}

		// Deleting the member deletes what was kept from the providers.
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SQL().ExecContext(ctx, "DELETE FROM members WHERE username = 'ana'")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IdentityBySubject(ctx, "google", "1234"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("identity of a deleted member: %v", err)
		}
	})
}

func TestUnlinkKeepsOneWayToLogIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		noPassword := mustMember(t, db, "nopass", "")
		withPassword := mustMember(t, db, "withpass", "$argon2id$x")
		for _, i := range []store.Identity{
			{MemberID: noPassword.ID, Provider: "google", Subject: "g1"},
			{MemberID: noPassword.ID, Provider: "twitter", Subject: "t1"},
			{MemberID: withPassword.ID, Provider: "google", Subject: "g2"},
		} {
			if _, err := link(db, i); err != nil {
				t.Fatal(err)
			}
		}
		// Two providers, no password: one may go, the last may not.
		if err := unlink(db, noPassword.ID, "twitter"); err != nil {
			t.Fatalf("unlink one of two: %v", err)
		}
		if err := unlink(db, noPassword.ID, "google"); !errors.Is(err, store.ErrLastLoginMethod) {
			t.Fatalf("unlink the last way to log in: %v, want ErrLastLoginMethod", err)
		}
		if _, err := db.IdentityBySubject(ctx, "google", "g1"); err != nil {
			t.Fatalf("the refused unlink removed the identity: %v", err)
		}
		if err := unlink(db, noPassword.ID, "facebook"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("unlink a provider never linked: %v, want not found", err)
		}
		// With a password, the only provider may go.
		if err := unlink(db, withPassword.ID, "google"); err != nil {
			t.Fatalf("unlink with a password: %v", err)
		}
		if _, err := db.IdentityBySubject(ctx, "google", "g2"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("unlinked identity still there: %v", err)
		}
	})
}
