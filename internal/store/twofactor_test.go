package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func memberFor2FA(t *testing.T, db *store.DB, username string) chorus.Member {
	t.Helper()
	var m chorus.Member
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: "x"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTwoFactorOnAndOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		m := memberFor2FA(t, db, "ana")
		other := memberFor2FA(t, db, "bob")

		tf, err := db.TwoFactor(ctx, m.ID)
		if err != nil || tf.Secret != "" || !tf.EnabledAt.IsZero() || tf.RecoveryCodesLeft != 0 {
			t.Fatalf("new member: %+v, %v", tf, err)
		}
		if _, err := db.TwoFactor(ctx, 999999); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("unknown member: %v", err)
		}
		codes := []string{"h1", "h2", "h3"}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EnableTOTP(ctx, m.ID, "SECRET", 100, codes) }); err != nil {
			t.Fatal(err)
		}
		tf, _ = db.TwoFactor(ctx, m.ID)
		if tf.Secret != "SECRET" || !tf.EnabledAt.Equal(now) || tf.LastStep != 100 || tf.RecoveryCodesLeft != 3 {
			t.Fatalf("after enabling: %+v", tf)
		}
		if got, _ := db.Member(ctx, m.ID); !got.TOTP {
			t.Fatal("member.TOTP is false after enabling")
		}
		// Turning it on twice is a conflict and changes nothing.
		err = db.Tx(ctx, func(tx *store.Tx) error { return tx.EnableTOTP(ctx, m.ID, "OTHER", 1, nil) })
		if !errors.Is(err, chorus.ErrConflict) {
			t.Fatalf("second enable: %v, want ErrConflict", err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EnableTOTP(ctx, 999999, "S", 1, nil) }); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("enable for an unknown member: %v", err)
		}

		// A time step is accepted once, and never an older one.
		use := func(id, step int64) bool {
			t.Helper()
			var ok bool
			if err := db.Tx(ctx, func(tx *store.Tx) (err error) { ok, err = tx.UseTOTPStep(ctx, id, step); return }); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for _, c := range []struct {
			step int64
			want bool
		}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
			if got := use(m.ID, c.step); got != c.want {
				t.Errorf("use step %d = %v, want %v", c.step, got, c.want)
			}
		}
		if use(other.ID, 500) {
			t.Error("a step was accepted for a member without two-factor")
		}

		// A recovery code works once, only for its member.
		useCode := func(id int64, hash string) bool {
			t.Helper()
			var ok bool
			if err := db.Tx(ctx, func(tx *store.Tx) (err error) { ok, err = tx.UseRecoveryCode(ctx, id, hash); return }); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if useCode(other.ID, "h1") || useCode(m.ID, "nope") || useCode(m.ID, "") {
			t.Fatal("a code that is not the member's was accepted")
		}
		if !useCode(m.ID, "h1") || useCode(m.ID, "h1") {
			t.Fatal("h1 is not single-use")
		}
		if tf, _ := db.TwoFactor(ctx, m.ID); tf.RecoveryCodesLeft != 2 {
			t.Fatalf("codes left %d, want 2", tf.RecoveryCodesLeft)
		}
		// New codes replace the old ones, used or not.
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.ReplaceRecoveryCodes(ctx, m.ID, []string{"n1", "n2"}) }); err != nil {
			t.Fatal(err)
		}
		if useCode(m.ID, "h2") || !useCode(m.ID, "n2") {
			t.Fatal("old code still valid or new one refused")
		}

		// Off: secret, step and codes are gone, and it can be turned on again.
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.DisableTOTP(ctx, m.ID) }); err != nil {
			t.Fatal(err)
		}
		tf, _ = db.TwoFactor(ctx, m.ID)
		if tf != (store.TwoFactor{}) {
			t.Fatalf("after disabling: %+v", tf)
		}
		if got, _ := db.Member(ctx, m.ID); got.TOTP {
			t.Fatal("member.TOTP is true after disabling")
		}
		if useCode(m.ID, "n1") || use(m.ID, 200) {
			t.Fatal("a code was accepted after disabling")
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.EnableTOTP(ctx, m.ID, "NEW", 7, []string{"x"}) }); err != nil {
			t.Fatalf("enable again: %v", err)
		}
	})
}

func TestRateLimitRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, 5, 1, 12, 0, 0, 123456000, time.UTC)
		db.SetClock(func() time.Time { return now })
		if _, err := db.RateLimit(ctx, "k"); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("missing counter: %v", err)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.LockRateLimit(ctx, "k"); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("lock of a missing counter: %v", err)
			}
			rl, err := tx.EnsureRateLimit(ctx, "k")
			if err != nil {
				return err
			}
			if rl.Failures != 0 || !rl.NextAllowedAt.Equal(now) {
				t.Errorf("new counter %+v", rl)
			}
			rl.Failures = 3
			rl.NextAllowedAt = now.Add(90 * time.Second)
			return tx.SaveRateLimit(ctx, rl)
		})
		if err != nil {
			t.Fatal(err)
		}
		rl, err := db.RateLimit(ctx, "k")
		if err != nil || rl.Failures != 3 || !rl.NextAllowedAt.Equal(now.Add(90*time.Second)) || !rl.WindowStart.Equal(now) {
			t.Fatalf("saved counter %+v, %v", rl, err)
		}
		// Ensure on an existing counter keeps it.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			rl, err := tx.EnsureRateLimit(ctx, "k")
			if err == nil && rl.Failures != 3 {
				t.Errorf("ensure existing: %+v", rl)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Expired counters go; the others stay. Times compare as times on
		// both databases, fractions of a second included.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for key, next := range map[string]time.Time{"old": now.Add(-time.Second), "edge": now.Add(-500 * time.Millisecond), "new": now.Add(time.Millisecond)} {
				rl, err := tx.EnsureRateLimit(ctx, key)
				if err != nil {
					return err
				}
				rl.NextAllowedAt = next
				if err := tx.SaveRateLimit(ctx, rl); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.DeleteRateLimitsBefore(ctx, now.Add(-400*time.Millisecond))
		if err != nil || n != 2 {
			t.Fatalf("deleted %d, %v; want 2 (old and edge)", n, err)
		}
		for key, want := range map[string]bool{"old": false, "edge": false, "new": true, "k": true} {
			if _, err := db.RateLimit(ctx, key); (err == nil) != want {
				t.Errorf("%s present = %v, want %v", key, err == nil, want)
			}
		}
		if err := db.DeleteRateLimits(ctx, "k", "absent"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RateLimit(ctx, "k"); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("after reset: %v", err)
		}
	})
}
