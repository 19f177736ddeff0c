package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestPolicyVersions checks the first version installed by the migration,
// drafting, publishing (which makes a version current and fixed), the
// notice a member sees until they acknowledge, and that acknowledgements
// are append-only.
func TestPolicyVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
		db.SetClock(clk.now)

		first, err := db.CurrentPolicy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first.Version != "2026-11-01" || !strings.Contains(first.Body, "Chorus") || strings.Contains(first.Body, "Jamendo") {
			t.Fatalf("first version %q: %.80q", first.Version, first.Body)
		}
		m := mustMemberNamed(t, db, "reader")
		if v, err := db.PolicyNotice(ctx, m.ID); err != nil || v.Version != first.Version {
			t.Fatalf("notice before any acknowledgement: %v %v", v.Version, err)
		}
		var draft store.PolicyVersion
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.AcknowledgePolicy(ctx, m.ID, store.AckSignUp, store.TransfersRefused); err != nil {
				return err
			}
			if _, err := tx.CreatePolicyDraft(ctx, "text", " "); err == nil {
				t.Error("a draft without a summary was accepted")
			}
			draft, err = tx.CreatePolicyDraft(ctx, "# New\n\nNew text.", "We now say more.")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PolicyNotice(ctx, m.ID); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("notice after sign-up acceptance: %v", err)
		}
		if cur, _ := db.CurrentPolicy(ctx); cur.Version != first.Version {
			t.Fatalf("a draft became current: %q", cur.Version)
		}
		var pub store.PolicyVersion
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			pub, err = tx.PublishPolicy(ctx, draft.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if pub.Version != "2026-12-03" {
			t.Errorf("published as %q", pub.Version)
		}
		if cur, _ := db.CurrentPolicy(ctx); cur.ID != draft.ID {
			t.Fatalf("current after publishing: %d, want %d", cur.ID, draft.ID)
		}
		if v, err := db.PolicyNotice(ctx, m.ID); err != nil || v.Summary != "We now say more." {
			t.Fatalf("notice after publishing: %+v %v", v, err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdatePolicyDraft(ctx, draft.ID, "changed", "changed") })
		if !errors.Is(err, chorus.ErrConflict) {
			t.Errorf("changing a published version: %v, want conflict", err)
		}
		// A second publication the same day gets its own name.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			d, err := tx.CreatePolicyDraft(ctx, "again", "again")
			if err != nil {
				return err
			}
			pub, err = tx.PublishPolicy(ctx, d.ID)
			return err
		})
		if err != nil || pub.Version != "2026-12-03.2" {
			t.Fatalf("second publication: %q %v", pub.Version, err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.AcknowledgePolicy(ctx, m.ID, store.AckNotice, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PolicyNotice(ctx, m.ID); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("notice after acknowledging: %v", err)
		}
		acks, err := db.Acknowledgements(ctx, m.ID)
		if err != nil || len(acks) != 2 || acks[0].PolicyVersion != "2026-12-03.2" || acks[0].Event != store.AckNotice || acks[1].Transfers != store.TransfersRefused {
			t.Fatalf("acknowledgements: %+v %v", acks, err)
		}
		if refused, err := db.TransfersRefused(ctx, m.ID); !refused || err != nil {
			t.Errorf("transfers not refused after refusal: %v %v", refused, err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE policy_acknowledgements SET policy_version = 'x'`); err == nil {
			t.Error("an acknowledgement was rewritten")
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE policy_versions SET body = 'x' WHERE version = '2026-11-01'`); err == nil {
			t.Error("a published version was rewritten")
		}
	})
}

// TestProcessorsRegister checks seeding from the configuration (once, not
// overwriting an admin's edits), validation, and what Receives answers.
func TestProcessorsRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		relay := datamap.Registered{ConfigKey: datamap.ConfigSMTP, Name: "relay.example.net", Service: "email delivery", Country: "us",
			Categories: []datamap.Category{datamap.Email, datamap.Communications}, Purpose: "deliver mail"}
		if added, err := db.SeedProcessor(ctx, relay); !added || err != nil {
			t.Fatalf("seed: %v %v", added, err)
		}
		p, err := db.ProcessorByConfigKey(ctx, datamap.ConfigSMTP)
		if err != nil || p.Country != "US" || p.InEEA() || !p.Receives(datamap.Email, datamap.Communications) || p.Receives(datamap.Name) {
			t.Fatalf("seeded entry: %+v %v", p, err)
		}
		p.Categories, p.Country = []datamap.Category{datamap.Communications}, "DE"
		if err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.SaveProcessor(ctx, p); return err }); err != nil {
			t.Fatal(err)
		}
		if added, err := db.SeedProcessor(ctx, relay); added || err != nil {
			t.Fatalf("seeding again: %v %v", added, err)
		}
		p, _ = db.ProcessorByConfigKey(ctx, datamap.ConfigSMTP)
		if p.Receives(datamap.Email) || !p.InEEA() {
			t.Errorf("the admin's edit was lost: %+v", p)
		}
		var inv *chorus.InvalidError
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveProcessor(ctx, datamap.Registered{Name: "x", Service: "y", Purpose: "z", Country: "Germany",
				Categories: []datamap.Category{"user.made.up"}})
			return err
		})
		if !errors.As(err, &inv) || inv.Fields["country"] == "" || inv.Fields["categories"] == "" {
			t.Errorf("bad entry: %v", err)
		}
	})
}
