package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func mustRecordConsent(t *testing.T, db *store.DB, who store.ConsentSubject, r consent.Record) consent.Record {
	t.Helper()
	var out consent.Record
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = tx.RecordConsent(context.Background(), who, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func choice(given []consent.Purpose, src consent.Source) consent.Record {
	n := consent.NoticeFor(consent.Signal{}, "2026-11-01")
	yes, no := n.Decide(given)
	return consent.Record{Given: yes, Refused: no, PolicyVersion: n.Version, Wording: n.Text(), Source: src}
}

// TestConsentLedger records choices of a visitor and a member, reads the
// one that counts and the history, and checks that a record cannot be
// rewritten.
func TestConsentLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
		db.SetClock(clk.now)
		visitor := store.ConsentSubject{VisitorHash: store.VisitorHash("0123456789abcdef0123456789abcdef")}
		m := mustMemberNamed(t, db, "ledger")
		member := store.ConsentSubject{MemberID: m.ID}

		for _, who := range []store.ConsentSubject{visitor, member} {
			if _, err := db.LatestConsent(ctx, who); !errors.Is(err, chorus.ErrNotFound) {
				t.Errorf("before any choice: %v, want not found", err)
			}
		}
		first := mustRecordConsent(t, db, member, choice(consent.Purposes, consent.FromBanner))
		clk.advance(time.Hour)
		second := mustRecordConsent(t, db, member, choice([]consent.Purpose{consent.Sharing}, consent.FromSettings))
		mustRecordConsent(t, db, visitor, choice(nil, consent.FromBanner))

		got, err := db.LatestConsent(ctx, member)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(second, got); diff != "" {
			t.Errorf("latest choice (-want +got):\n%s", diff)
		}
		if !got.Gives(consent.Sharing) || got.Gives(consent.Analytics) || got.PolicyVersion != "2026-11-01" || got.Wording == "" {
			t.Errorf("latest choice %+v", got)
		}
		history, err := db.ConsentHistory(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]consent.Record{second, first}, history); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		v, err := db.LatestConsent(ctx, visitor)
		if err != nil || len(v.Given) != 0 || len(v.Refused) != 3 || v.MemberID != 0 {
			t.Errorf("visitor's choice %+v %v", v, err)
		}

		// Append-only: the database itself refuses to rewrite a choice.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE consent_records SET given = 'analytics,personalisation,sharing'`); err == nil {
			t.Error("a recorded choice was rewritten")
		}
		if got, _ := db.LatestConsent(ctx, member); got.Gives(consent.Analytics) {
			t.Error("the rewrite took effect")
		}

		// Unknown purposes and subjects are refused.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordConsent(ctx, member, consent.Record{Given: []consent.Purpose{"marketing"}, PolicyVersion: "x", Wording: "x", Source: consent.FromBanner})
			return err
		})
		var inv *chorus.InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("an unknown purpose: %v", err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordConsent(ctx, store.ConsentSubject{}, choice(nil, consent.FromBanner))
			return err
		})
		if err == nil {
			t.Error("a choice of no one was recorded")
		}
		if _, err := db.LatestConsent(ctx, store.ConsentSubject{VisitorHash: "caf\xe9"}); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("a hash that cannot be stored: %v", err)
		}
	})
}

// TestCarryConsent settles whose choice counts when a member logs in on a
// browser whose visitor chose: a member who never chose takes the
// visitor's choice, once; a member with a choice of their own keeps it,
// and the browser's record follows it.
func TestCarryConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		hash := store.VisitorHash("fedcba9876543210fedcba9876543210")
		visitor := store.ConsentSubject{VisitorHash: hash}
		m := mustMemberNamed(t, db, "carrier")
		carry := func() bool {
			t.Helper()
			var added bool
			if err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				added, err = tx.CarryConsent(ctx, hash, m.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return added
		}
		if carry() {
			t.Error("carried a choice the visitor never made")
		}
		v := mustRecordConsent(t, db, visitor, choice([]consent.Purpose{consent.Analytics}, consent.FromBanner))
		if !carry() {
			t.Fatal("the visitor's choice was not carried")
		}
		got, err := db.LatestConsent(ctx, store.ConsentSubject{MemberID: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Source != consent.FromVisit || got.CarriedFrom != v.ID || !got.Gives(consent.Analytics) || got.Wording != v.Wording || got.MemberID != m.ID {
			t.Errorf("carried record %+v", got)
		}
		if carry() {
			t.Error("carried the same choice twice")
		}
		// The member refuses everything; a newer visitor choice on the
		// browser does not replace it: the browser follows the member.
		own := mustRecordConsent(t, db, store.ConsentSubject{MemberID: m.ID}, choice(nil, consent.FromSettings))
		mustRecordConsent(t, db, visitor, choice(consent.Purposes, consent.FromChoices))
		if carry() {
			t.Error("a visitor's choice replaced the member's own")
		}
		if got, _ := db.LatestConsent(ctx, store.ConsentSubject{MemberID: m.ID}); got.ID != own.ID || len(got.Given) != 0 {
			t.Errorf("the member's latest choice is %+v, want their refusal", got)
		}
		browser, err := db.LatestConsent(ctx, visitor)
		if err != nil {
			t.Fatal(err)
		}
		if browser.Source != consent.FromAccount || len(browser.Given) != 0 || browser.MemberID != 0 {
			t.Errorf("the browser's latest choice is %+v, want a copy of the member's refusal", browser)
		}
		// Once the browser agrees, logging in again adds nothing.
		if carry() {
			t.Error("carried a choice to a member who has one")
		}
		if after, _ := db.LatestConsent(ctx, visitor); after.ID != browser.ID {
			t.Errorf("the browser got another record %+v", after)
		}
	})
}

// TestVisitorConsentRetention deletes visitors' records past retention and
// keeps members' records and recent ones.
func TestVisitorConsentRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		db.SetClock(clk.now)
		old := store.ConsentSubject{VisitorHash: store.VisitorHash("old")}
		recent := store.ConsentSubject{VisitorHash: store.VisitorHash("recent")}
		m := mustMemberNamed(t, db, "keeper")
		mustRecordConsent(t, db, old, choice(nil, consent.FromBanner))
		mustRecordConsent(t, db, store.ConsentSubject{MemberID: m.ID}, choice(nil, consent.FromBanner))
		clk.advance(consent.VisitorRecordRetention)
		mustRecordConsent(t, db, recent, choice(nil, consent.FromBanner))
		n, err := db.DeleteExpiredVisitorConsent(ctx, clk.now().Add(-consent.VisitorRecordRetention+time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d, %v; want 1", n, err)
		}
		if _, err := db.LatestConsent(ctx, old); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("the expired record is still there: %v", err)
		}
		for _, who := range []store.ConsentSubject{recent, {MemberID: m.ID}} {
			if _, err := db.LatestConsent(ctx, who); err != nil {
				t.Errorf("%+v: %v", who, err)
			}
		}
	})
}
