package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func newMember(t *testing.T, db *store.DB, username string, role chorus.Role) chorus.Member {
	t.Helper()
	var m chorus.Member
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: "x", Role: role})
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return m
}

func TestRolesAndSuspension(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		root := newMember(t, db, "root_admin", chorus.RoleAdmin)
		bob := newMember(t, db, "bob", "")
		if bob.Role != chorus.RoleMember {
			t.Fatalf("default role %q", bob.Role)
		}
		// The only admin cannot step down or be suspended.
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.SetRole(ctx, root.ID, chorus.RoleMember) })
		var inv *chorus.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(inv.Message, "only admin") {
			t.Fatalf("demoting the last admin: %v", err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error { return tx.Suspend(ctx, root.ID, "no") })
		if !errors.As(err, &inv) {
			t.Fatalf("suspending the last admin: %v", err)
		}
		// With a second admin, the first may step down.
		mustTx(t, db, func(tx *store.Tx) error { return tx.SetRole(ctx, bob.ID, chorus.RoleAdmin) })
		mustTx(t, db, func(tx *store.Tx) error { return tx.SetRole(ctx, root.ID, chorus.RoleModerator) })
		if m, _ := db.Member(ctx, root.ID); m.Role != chorus.RoleModerator {
			t.Fatalf("role after change: %q", m.Role)
		}
		// Artists: members become artists, moderators stay moderators.
		carol := newMember(t, db, "carol", "")
		mustTx(t, db, func(tx *store.Tx) error { return tx.BecomeArtist(ctx, carol.ID) })
		mustTx(t, db, func(tx *store.Tx) error { return tx.BecomeArtist(ctx, root.ID) })
		if m, _ := db.Member(ctx, carol.ID); m.Role != chorus.RoleArtist {
			t.Fatalf("carol: %q", m.Role)
		}
		if m, _ := db.Member(ctx, root.ID); m.Role != chorus.RoleModerator {
			t.Fatalf("a moderator who publishes stays moderator, got %q", m.Role)
		}
		// Suspension ends every session and shows the reason.
		mustTx(t, db, func(tx *store.Tx) error {
			return tx.CreateMemberSession(ctx, store.MemberSession{ID: "s1", MemberID: carol.ID})
		})
		mustTx(t, db, func(tx *store.Tx) error { return tx.Suspend(ctx, carol.ID, "Spam links") })
		m, _ := db.Member(ctx, carol.ID)
		if !m.Suspended || m.SuspendedReason != "Spam links" {
			t.Fatalf("after suspend: %+v", m)
		}
		if _, err := db.MemberSession(ctx, "s1"); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("session survived suspension: %v", err)
		}
		list, total, err := db.Members(ctx, store.MemberFilter{Suspended: true})
		if err != nil || total != 1 || list[0].ID != carol.ID {
			t.Fatalf("suspended list: %v %d %v", list, total, err)
		}
		mustTx(t, db, func(tx *store.Tx) error { return tx.Unsuspend(ctx, carol.ID) })
		if m, _ := db.Member(ctx, carol.ID); m.Suspended {
			t.Fatal("still suspended")
		}
		// Listing: prefix search with LIKE wildcards taken literally.
		newMember(t, db, "car_l", "")
		list, total, err = db.Members(ctx, store.MemberFilter{Query: "CAR"})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("query CAR: %d %v %v", total, list, err)
		}
		list, total, _ = db.Members(ctx, store.MemberFilter{Query: "car_"})
		if total != 1 || list[0].Username != "car_l" {
			t.Fatalf("query car_: %v", list)
		}
		list, _, _ = db.Members(ctx, store.MemberFilter{Role: chorus.RoleAdmin})
		if len(list) != 1 || list[0].ID != bob.ID {
			t.Fatalf("admins: %v", list)
		}
	})
}

func TestLookAlikeUsernames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newMember(t, db, "paypal", "")
		newMember(t, db, "alice", "")
		newMember(t, db, "boss", "")
		newMember(t, db, "Влад", "")
		for _, name := range []string{"PayPal", "paypa1", "ｐａｙｐａｌ", "aIice", "ᴀʟɪᴄᴇ", "ali.ce", "alice_", "b0ss", "влад"} {
			err := db.Tx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.CreateMember(context.Background(), store.NewMember{Email: "x" + chorus.Slug(name) + "@example.org", Username: name, PasswordHash: "x"})
				return err
			})
			var inv *chorus.InvalidError
			if !errors.As(err, &inv) || inv.Fields["username"] == "" {
				t.Errorf("%q was accepted beside paypal: %v", name, err)
			}
		}
		m, err := db.MemberByUsername(context.Background(), "PAYPAL")
		if err != nil || m.Username != "paypal" {
			t.Fatalf("by username: %v %v", m, err)
		}
	})
}

func mustTx(t *testing.T, db *store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.Tx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// TestAdminsDemotingEachOtherAtOnce runs two admins' demotions of each
// other concurrently, many times: one of them must always remain.
func TestAdminsDemotingEachOtherAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for round := range 8 {
			a := newMember(t, db, fmt.Sprintf("a%d", round), chorus.RoleAdmin)
			b := newMember(t, db, fmt.Sprintf("b%d", round), chorus.RoleAdmin)
			// Earlier rounds' survivors are demoted first, so each round starts with two admins.
			list, _, _ := db.Members(ctx, store.MemberFilter{Role: chorus.RoleAdmin})
			for _, m := range list {
				if m.ID != a.ID && m.ID != b.ID {
					mustTx(t, db, func(tx *store.Tx) error { return tx.SetRole(ctx, m.ID, chorus.RoleMember) })
				}
			}
			var wg sync.WaitGroup
			for _, id := range []int64{a.ID, b.ID} {
				wg.Go(func() {
					_ = db.Tx(ctx, func(tx *store.Tx) error {
						if round%2 == 0 {
							return tx.SetRole(ctx, id, chorus.RoleMember)
						}
						return tx.Suspend(ctx, id, "each other")
					})
				})
			}
			wg.Wait()
			var active int
			for _, id := range []int64{a.ID, b.ID} {
				if m, _ := db.Member(ctx, id); m.Role == chorus.RoleAdmin && !m.Suspended {
					active++
				}
			}
			if active != 1 {
				t.Fatalf("round %d: %d active admins left, want 1", round, active)
			}
		}
	})
}
