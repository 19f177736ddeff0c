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

// clock is a settable time for store.DB.SetClock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func mustMemberNamed(t *testing.T, db *store.DB, username string) chorus.Member {
	t.Helper()
	var m chorus.Member
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: "h"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustSession(t *testing.T, db *store.DB, ms store.MemberSession) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error { return tx.CreateMemberSession(context.Background(), ms) })
	if err != nil {
		t.Fatal(err)
	}
}

func sessionIDs(t *testing.T, db *store.DB, memberID int64, lim store.SessionLimits) []string {
	t.Helper()
	list, err := db.ListMemberSessions(context.Background(), memberID, lim)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, ms := range list {
		ids = append(ids, ms.ID)
	}
	return ids
}

func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
		db.SetClock(c.now)
		lim := store.SessionLimits{Idle: time.Hour, Lifetime: 3 * time.Hour}
		ana := mustMemberNamed(t, db, "ana")
		mustSession(t, db, store.MemberSession{ID: "busy", MemberID: ana.ID, IPPrefix: "192.0.2.0/24", Browser: "Firefox 128", OS: "Linux", Device: "desktop"})
		mustSession(t, db, store.MemberSession{ID: "idle", MemberID: ana.ID})

		// Within a minute the last activity is not rewritten.
		c.advance(30 * time.Second)
		ms, err := db.ActiveMemberSession(ctx, "busy", lim)
		if err != nil {
			t.Fatal(err)
		}
		if !ms.LastSeenAt.Equal(ms.CreatedAt) {
			t.Errorf("last activity moved after 30 s: %v, created %v", ms.LastSeenAt, ms.CreatedAt)
		}
		// After a minute it is.
		c.advance(40 * time.Second)
		if _, err := db.ActiveMemberSession(ctx, "busy", lim); err != nil {
			t.Fatal(err)
		}
		ms, err = db.MemberSession(ctx, "busy")
		if err != nil || !ms.LastSeenAt.Equal(c.t) {
			t.Fatalf("last activity after 70 s: %v (want %v), %v", ms.LastSeenAt, c.t, err)
		}
		if ms.IPPrefix != "192.0.2.0/24" || ms.Browser != "Firefox 128" || ms.OS != "Linux" || ms.Device != "desktop" {
			t.Errorf("session row: %+v", ms)
		}

		// Idle for more than the idle timeout: gone, and deleted.
		c.advance(59 * time.Minute)
		if _, err := db.ActiveMemberSession(ctx, "busy", lim); err != nil {
			t.Fatalf("active 59 min after its last activity: %v", err)
		}
		if diff := cmp.Diff([]string{"busy"}, sessionIDs(t, db, ana.ID, lim)); diff != "" {
			t.Errorf("listed sessions after the idle one timed out (-want +got):\n%s", diff)
		}
		if _, err := db.MemberSession(ctx, "idle"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("the idle session's row was kept: %v", err)
		}

		// Active all along, it still ends at the lifetime.
		for range 2 { // to 2 h 40 min after login
			c.advance(50 * time.Minute)
			if _, err := db.ActiveMemberSession(ctx, "busy", lim); err != nil {
				t.Fatalf("active session ended before its lifetime, at %v: %v", c.t, err)
			}
		}
		c.advance(30 * time.Minute) // 3 h 10 min after login
		if _, err := db.ActiveMemberSession(ctx, "busy", lim); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("session past its lifetime: %v, want ErrNotFound", err)
		}
		if _, err := db.MemberSession(ctx, "busy"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("the expired session's row was kept: %v", err)
		}
		if _, err := db.ActiveMemberSession(ctx, "", lim); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("empty session id: %v", err)
		}
		if _, err := db.ActiveMemberSession(ctx, "bad\x00\xff", lim); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("unstorable session id: %v", err)
		}
	})
}

func TestSweepExpiredSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
		db.SetClock(c.now)
		lim := store.SessionLimits{Idle: time.Hour, Lifetime: 24 * time.Hour}
		ana, bob := mustMemberNamed(t, db, "ana"), mustMemberNamed(t, db, "bob")
		mustSession(t, db, store.MemberSession{ID: "ana-old", MemberID: ana.ID})
		mustSession(t, db, store.MemberSession{ID: "bob-old", MemberID: bob.ID})
		c.advance(2 * time.Hour)
		mustSession(t, db, store.MemberSession{ID: "bob-new", MemberID: bob.ID})
		n, err := db.DeleteExpiredMemberSessions(ctx, lim)
		if err != nil || n != 2 {
			t.Fatalf("swept %d sessions, %v; want 2", n, err)
		}
		if diff := cmp.Diff([]string{"bob-new"}, sessionIDs(t, db, bob.ID, store.SessionLimits{})); diff != "" {
			t.Errorf("bob's sessions after the sweep (-want +got):\n%s", diff)
		}
		if ids := sessionIDs(t, db, ana.ID, store.SessionLimits{}); len(ids) != 0 {
			t.Errorf("ana's sessions after the sweep: %v", ids)
		}
	})
}

func TestEndSessionsAndReauthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)}
		db.SetClock(c.now)
		ana, bob := mustMemberNamed(t, db, "ana"), mustMemberNamed(t, db, "bob")
		for _, id := range []string{"a1", "a2", "a3"} {
			mustSession(t, db, store.MemberSession{ID: id, MemberID: ana.ID})
			c.advance(time.Second)
		}
		mustSession(t, db, store.MemberSession{ID: "b1", MemberID: bob.ID})

		// Most recently active first.
		if diff := cmp.Diff([]string{"a3", "a2", "a1"}, sessionIDs(t, db, ana.ID, store.SessionLimits{})); diff != "" {
			t.Errorf("ana's sessions (-want +got):\n%s", diff)
		}
		// One member cannot end another's session.
		if err := db.EndSessionOfMember(ctx, ana.ID, "b1"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("ana ended bob's session: %v", err)
		}
		if err := db.EndSessionOfMember(ctx, ana.ID, "a1"); err != nil {
			t.Fatal(err)
		}
		if err := db.EndSessionOfMember(ctx, ana.ID, "a1"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("ending an ended session: %v", err)
		}
		// All others: the kept one and other members' stay.
		if n, err := db.EndMemberSessions(ctx, ana.ID, "a3"); err != nil || n != 1 {
			t.Fatalf("ended %d others, %v; want 1", n, err)
		}
		if diff := cmp.Diff([]string{"a3"}, sessionIDs(t, db, ana.ID, store.SessionLimits{})); diff != "" {
			t.Errorf("ana's sessions after ending the others (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"b1"}, sessionIDs(t, db, bob.ID, store.SessionLimits{})); diff != "" {
			t.Errorf("bob's sessions (-want +got):\n%s", diff)
		}

		// Re-authentication resets the time since the member proved who they are.
		c.advance(20 * time.Minute)
		ago, err := db.SinceAuthenticated(ctx, "a3")
		if err != nil || ago != 20*time.Minute+time.Second {
			t.Fatalf("since authenticated: %v, %v; want 20m1s", ago, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.MarkSessionAuthenticated(ctx, "a3") }); err != nil {
			t.Fatal(err)
		}
		c.advance(5 * time.Second)
		if ago, err := db.SinceAuthenticated(ctx, "a3"); err != nil || ago != 5*time.Second {
			t.Errorf("since re-authenticated: %v, %v; want 5s", ago, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.MarkSessionAuthenticated(ctx, "a1") }); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("re-authenticating an ended session: %v", err)
		}
		if _, err := db.SinceAuthenticated(ctx, "a1"); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("since authenticated in an ended session: %v", err)
		}
	})
}
