package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func mustToken(t *testing.T, db *store.DB, memberID int64, purpose store.TokenPurpose, email string, ttl time.Duration) string {
	t.Helper()
	var token string
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		token, err = tx.CreateMemberToken(context.Background(), memberID, purpose, email, ttl)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func useToken(db *store.DB, token string, purpose store.TokenPurpose) (store.MemberToken, error) {
	var got store.MemberToken
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		got, err = tx.UseMemberToken(context.Background(), token, purpose)
		return err
	})
	return got, err
}

func TestMemberTokensAreHashedSingleUseAndExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		ana := mustMember(t, db, "ana", "hash")
		older := mustToken(t, db, ana.ID, store.PurposeVerifyEmail, ana.Email, 24*time.Hour)
		token := mustToken(t, db, ana.ID, store.PurposeVerifyEmail, ana.Email, 24*time.Hour)
		if len(token) != 43 || token == older {
			t.Fatalf("tokens %q and %q: want two different 43-character tokens", older, token)
		}

		// Only the SHA-256 is stored.
		var stored []string
		rows, err := db.SQL().QueryContext(ctx, `SELECT token_hash FROM member_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, h)
		}
		rows.Close()
		sum := sha256.Sum256([]byte(token))
		if !strings.Contains(strings.Join(stored, " "), hex.EncodeToString(sum[:])) || strings.Contains(strings.Join(stored, " "), token) {
			t.Fatalf("stored %v: want the SHA-256 of the token and never the token", stored)
		}

		// Looking does not spend it; another purpose does not know it.
		for range 2 {
			got, err := db.MemberToken(ctx, token, store.PurposeVerifyEmail)
			want := store.MemberToken{MemberID: ana.ID, Purpose: store.PurposeVerifyEmail, Email: ana.Email, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Fatalf("token (-want +got):\n%s", diff)
			}
		}
		if _, err := db.MemberToken(ctx, token, store.PurposeResetPassword); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("token for another purpose: %v, want not found", err)
		}
		for _, bad := range []string{"", "x", strings.Repeat("a", 43), "\x00" + token[1:], string([]byte{0xff, 0xfe}) + token[2:], strings.Repeat(token, 1000)} {
			if _, err := db.MemberToken(ctx, bad, store.PurposeVerifyEmail); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("MemberToken(%q...): %v, want not found", bad[:min(len(bad), 10)], err)
			}
			if _, err := useToken(db, bad, store.PurposeVerifyEmail); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("UseMemberToken(%q...): %v, want not found", bad[:min(len(bad), 10)], err)
			}
		}

		// Using it once works, racing uses included; then it, and the
		// older one, are spent.
		var wg sync.WaitGroup
		results := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				_, err := useToken(db, token, store.PurposeVerifyEmail)
				results <- err
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrTokenUsed):
				t.Errorf("racing use: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d racing uses succeeded, want exactly 1", ok)
		}
		for _, tk := range []string{token, older} {
			if _, err := useToken(db, tk, store.PurposeVerifyEmail); !errors.Is(err, store.ErrTokenUsed) {
				t.Errorf("second use: %v, want ErrTokenUsed", err)
			}
		}

		// Expiry: valid one microsecond before, refused at the time.
		reset := mustToken(t, db, ana.ID, store.PurposeResetPassword, ana.Email, time.Hour)
		now = now.Add(time.Hour - time.Microsecond)
		if _, err := db.MemberToken(ctx, reset, store.PurposeResetPassword); err != nil {
			t.Fatalf("token just before expiry: %v", err)
		}
		now = now.Add(time.Microsecond)
		if _, err := db.MemberToken(ctx, reset, store.PurposeResetPassword); !errors.Is(err, store.ErrTokenExpired) {
			t.Fatalf("expired token: %v", err)
		}
		if _, err := useToken(db, reset, store.PurposeResetPassword); !errors.Is(err, store.ErrTokenExpired) {
			t.Fatalf("use of expired token: %v", err)
		}
	})
}

func TestVoidAndCountTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		ana, bob := mustMember(t, db, "ana", "hash"), mustMember(t, db, "bob", "hash")
		change := mustToken(t, db, ana.ID, store.PurposeChangeEmail, "new@example.org", 24*time.Hour)
		reset := mustToken(t, db, ana.ID, store.PurposeResetPassword, ana.Email, time.Hour)
		bobs := mustToken(t, db, bob.ID, store.PurposeChangeEmail, "bob2@example.org", 24*time.Hour)
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.VoidMemberTokens(ctx, ana.ID, store.PurposeChangeEmail, store.PurposeVerifyEmail)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MemberToken(ctx, change, store.PurposeChangeEmail); !errors.Is(err, store.ErrTokenUsed) {
			t.Errorf("voided token: %v", err)
		}
		if _, err := db.MemberToken(ctx, reset, store.PurposeResetPassword); err != nil {
			t.Errorf("token of a purpose not voided: %v", err)
		}
		if got, err := db.MemberToken(ctx, bobs, store.PurposeChangeEmail); err != nil || got.Email != "bob2@example.org" {
			t.Errorf("another member's token: %+v %v", got, err)
		}

		count := func(since time.Time) store.TokenHistory {
			var h store.TokenHistory
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				h, err = tx.TokensSince(ctx, ana.ID, store.PurposeVerifyEmail, since)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return h
		}
		if h := count(now.Add(-24 * time.Hour)); h.Count != 0 || !h.Latest.IsZero() {
			t.Fatalf("history with no tokens: %+v", h)
		}
		first := now
		mustToken(t, db, ana.ID, store.PurposeVerifyEmail, ana.Email, time.Hour)
		now = now.Add(2 * time.Hour)
		mustToken(t, db, ana.ID, store.PurposeVerifyEmail, ana.Email, time.Hour)
		if h := count(now.Add(-24 * time.Hour)); h.Count != 2 || !h.Latest.Equal(now) {
			t.Fatalf("history: %+v, want 2, latest %v", h, now)
		}
		if h := count(first.Add(time.Minute)); h.Count != 1 {
			t.Fatalf("history since after the first: %+v, want 1", h)
		}
	})
}

func TestCredentialChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ana, bob := mustMember(t, db, "ana", "hash"), mustMember(t, db, "bob", "hash")
		if m, err := db.MemberByEmail(ctx, "ANA@Example.org"); err != nil || m.ID != ana.ID {
			t.Fatalf("MemberByEmail: %+v %v", m, err)
		}
		for _, notAnEmail := range []string{"ana", "nobody@example.org", "\x00", string([]byte{0xff})} {
			if _, err := db.MemberByEmail(ctx, notAnEmail); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("MemberByEmail(%q): %v", notAnEmail, err)
			}
		}
		tx := func(fn func(tx *store.Tx) error) error { return db.Tx(ctx, fn) }

		// Verifying needs the address to still be the member's.
		var inv *chorus.InvalidError
		if err := tx(func(tx *store.Tx) error { return tx.MarkEmailVerified(ctx, ana.ID, "old@example.org") }); !errors.As(err, &inv) {
			t.Fatalf("verify another address: %v", err)
		}
		if m, _ := db.Member(ctx, ana.ID); m.EmailVerified {
			t.Fatal("verified through an address the member does not use")
		}
		for range 2 {
			if err := tx(func(tx *store.Tx) error { return tx.MarkEmailVerified(ctx, ana.ID, "Ana@example.org") }); err != nil {
				t.Fatal(err)
			}
		}
		if m, _ := db.Member(ctx, ana.ID); !m.EmailVerified {
			t.Fatal("not verified")
		}

		// Another member's address is refused on the email field.
		if taken, err := db.EmailTaken(ctx, "BOB@example.org", ana.ID); err != nil || !taken {
			t.Fatalf("EmailTaken(bob's) = %v %v", taken, err)
		}
		if taken, err := db.EmailTaken(ctx, "ana@example.org", ana.ID); err != nil || taken {
			t.Fatalf("EmailTaken(own) = %v %v", taken, err)
		}
		err := tx(func(tx *store.Tx) error { return tx.ChangeMemberEmail(ctx, ana.ID, "Bob@example.org") })
		if !errors.As(err, &inv) || inv.Fields["email"] == "" {
			t.Fatalf("change to bob's address: %v", err)
		}
		if err := tx(func(tx *store.Tx) error { return tx.ChangeMemberEmail(ctx, bob.ID, "robert@example.org") }); err != nil {
			t.Fatal(err)
		}
		if m, err := db.MemberByEmail(ctx, "robert@example.org"); err != nil || m.ID != bob.ID || !m.EmailVerified || m.Email != "robert@example.org" {
			t.Fatalf("after change: %+v %v", m, err)
		}
		if _, err := db.MemberByEmail(ctx, "bob@example.org"); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("old address still finds the member: %v", err)
		}

		if err := tx(func(tx *store.Tx) error { return tx.SetMemberPassword(ctx, bob.ID, "new hash") }); err != nil {
			t.Fatal(err)
		}
		if h, err := db.PasswordHash(ctx, bob.ID); err != nil || h != "new hash" {
			t.Fatalf("password hash: %q %v", h, err)
		}
		if err := tx(func(tx *store.Tx) error { return tx.SetMemberPassword(ctx, 9999, "x") }); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("password of nobody: %v", err)
		}
	})
}
