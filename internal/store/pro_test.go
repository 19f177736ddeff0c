package store_test

import (
	"context"
	"strconv"
	"testing"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestDecryptionLogIsAppendOnly checks that the log of decryptions cannot
// be rewritten, and that a viewer's erasure leaves the entry with no
// viewer rather than taking it away.
func TestDecryptionLogIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		artist := mustMemberNamed(t, db, "payee")
		admin := mustMemberNamed(t, db, "auditor")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.JoinPro(ctx, store.ProMember{MemberID: artist.ID, LegalName: "P", Address: "A", Country: "FR", EntityKind: "individual"}); err != nil {
				return err
			}
			if err := tx.AcceptAgreement(ctx, artist.ID, "v1"); err != nil {
				return err
			}
			return tx.LogDecryption(ctx, store.Decryption{MemberID: artist.ID, ViewerID: admin.ID, Value: "pro_members.iban", Reason: "payout file"})
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE pro_decryptions SET reason = 'nothing to see'`, `UPDATE pro_decryptions SET member_id = 0`, `UPDATE pro_agreements SET version = 'v0'`} {
			if err := execRaw(ctx, db, q); err == nil {
				t.Errorf("%s was allowed", q)
			}
		}
		if err := execRaw(ctx, db, `DELETE FROM members WHERE id = `+itoa(admin.ID)); err != nil {
			t.Fatalf("erase the viewer: %v", err)
		}
		got, err := db.Decryptions(ctx, artist.ID)
		if err != nil || len(got) != 1 || got[0].ViewerID != 0 || got[0].Reason != "payout file" {
			t.Fatalf("after the viewer's erasure: %+v %v", got, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
