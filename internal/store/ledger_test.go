package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"

	"chorus/internal/chorus"
	"chorus/internal/money"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// ledgerOp is one step of a random history of the ledger.
type ledgerOp struct {
	Kind    int // 0-3 sale, 4 refund, 5 payout batch paid
	Members []int
	Amounts []int64
	Share   int
	Pick    int
}

// ledgerHistory is a random sequence of sales, refunds and payouts.
type ledgerHistory []ledgerOp

func (ledgerHistory) Generate(r *rand.Rand, size int) reflect.Value {
	n := 1 + r.Intn(12)
	h := make(ledgerHistory, n)
	for i := range h {
		op := ledgerOp{Kind: r.Intn(6), Share: []int{5000, 3333, 7000, 0, 10000, r.Intn(10001)}[r.Intn(6)], Pick: r.Intn(100)}
		for j := 0; j < 1+r.Intn(3); j++ {
			op.Members = append(op.Members, r.Intn(3))
			op.Amounts = append(op.Amounts, 1+r.Int63n([]int64{3, 999, 1_000_000}[r.Intn(3)]))
		}
		h[i] = op
	}
	return reflect.ValueOf(h)
}

// TestLedgerProperties posts random histories of sales, refunds and
// payouts and checks after every step that every transaction sums to
// zero, that the books as a whole sum to zero, that each member's balance
// is exactly what a model of the rules says (their share of sales, less
// refunds, less payouts), and that no balance moved without a new entry
// on its account.
func TestLedgerProperties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var members []int64
		for i := range 3 {
			m := mustMemberNamed(t, db, fmt.Sprintf("payee%d", i))
			members = append(members, m.ID)
			err := db.Tx(ctx, func(tx *store.Tx) error {
				return tx.JoinPro(ctx, store.ProMember{MemberID: m.ID, LegalName: "Payee", Address: "1 rue", Country: "FR", EntityKind: "individual",
					IBAN: []byte("ct"), BIC: []byte("ct"), IBANMasked: "FR76 •••• 0189"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		run := 0
		check := func(h ledgerHistory) bool {
			run++
			model := map[int64]int64{}
			for _, id := range members {
				b, err := db.Balance(ctx, id, "EUR")
				if err != nil {
					t.Fatal(err)
				}
				model[id] = b
			}
			var sales []string
			for step, op := range h {
				before := map[int64][2]int64{}
				for _, id := range members {
					before[id] = [2]int64{mustBalance(t, db, id), entryCount(t, db, id)}
				}
				switch {
				case op.Kind <= 3:
					ref := fmt.Sprintf("order-%d-%d", run, step)
					sale := store.Sale{Reference: ref, Currency: "EUR", ArtistShare: op.Share}
					for i, mi := range op.Members {
						sale.Lines = append(sale.Lines, store.SaleLine{MemberID: members[mi], Amount: op.Amounts[i]})
						a, _ := money.Split(op.Amounts[i], op.Share)
						model[members[mi]] += a
					}
					if _, err := db.PostSale(ctx, sale); err != nil {
						t.Fatalf("post sale: %v", err)
					}
					// Posting it again changes nothing.
					if _, err := db.PostSale(ctx, sale); err != nil {
						t.Fatalf("post sale again: %v", err)
					}
					sales = append(sales, ref)
					sale.Lines = sale.Lines[:0]
				case op.Kind == 4 && len(sales) > 0:
					ref := sales[op.Pick%len(sales)]
					sales = append(sales[:op.Pick%len(sales)], sales[op.Pick%len(sales)+1:]...)
					// The model: take back each member's share of that sale.
					for si, o := range h[:step] {
						if o.Kind <= 3 && fmt.Sprintf("order-%d-%d", run, si) == ref {
							for i, mi := range o.Members {
								a, _ := money.Split(o.Amounts[i], o.Share)
								model[members[mi]] -= a
							}
						}
					}
					if _, err := db.PostRefund(ctx, ref, "refund"); err != nil {
						t.Fatalf("refund: %v", err)
					}
					if _, err := db.PostRefund(ctx, ref, "refund"); err != nil {
						t.Fatalf("refund again: %v", err)
					}
				case op.Kind == 5:
					var b store.PayoutBatch
					err := db.Tx(ctx, func(tx *store.Tx) error {
						var err error
						b, err = tx.CreatePayoutBatch(ctx, 0, "EUR", fmt.Sprintf("MSG-%d-%d", run, step), 1)
						if err != nil {
							return err
						}
						return tx.MarkPayoutBatchPaid(ctx, b.ID, 0)
					})
					if err != nil && !errors.Is(err, chorus.ErrNotFound) {
						t.Fatalf("payout: %v", err)
					}
					for _, p := range b.Payouts {
						model[p.MemberID] -= p.Amount
					}
				}
				if bad, err := db.UnbalancedTransactions(ctx); err != nil || len(bad) > 0 {
					t.Errorf("transactions that do not sum to zero: %v %v", bad, err)
					return false
				}
				var total int64
				for _, k := range []store.AccountKind{store.Cash, store.Revenue, store.Refunds} {
					b, _ := db.AccountBalance(ctx, k, 0, "EUR")
					total += b
				}
				for _, id := range members {
					b := mustBalance(t, db, id)
					total -= b
					if b != model[id] {
						t.Errorf("member %d balance %d, the rules say %d", id, b, model[id])
						return false
					}
					if b != before[id][0] && entryCount(t, db, id) == before[id][1] {
						t.Errorf("member %d balance moved from %d to %d without an entry", id, before[id][0], b)
						return false
					}
				}
				if total != 0 {
					t.Errorf("the books sum to %d, not zero", total)
					return false
				}
			}
			return true
		}
		if err := quick.Check(check, &quick.Config{MaxCount: 15}); err != nil {
			t.Error(err)
		}
	})
}

func mustBalance(t *testing.T, db *store.DB, member int64) int64 {
	t.Helper()
	b, err := db.Balance(context.Background(), member, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func entryCount(t *testing.T, db *store.DB, member int64) int64 {
	t.Helper()
	ids, err := db.IDs(context.Background(), `SELECT e.id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.kind = 'payable' AND a.member_id = ?`, member)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(ids))
}

// TestLedgerIsAppendOnly checks that the database itself refuses to
// change or delete a posted entry or transaction, so no balance can move
// but by a new entry.
func TestLedgerIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.PostSale(ctx, store.Sale{Reference: "o1", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: 7, Amount: 1001}}}); err != nil {
			t.Fatal(err)
		}
		if b := mustBalance(t, db, 7); b != 500 {
			t.Fatalf("balance %d, want 500 (the site keeps the odd cent)", b)
		}
		for _, q := range []string{`UPDATE ledger_entries SET amount = amount * 2`, `DELETE FROM ledger_entries`,
			`UPDATE ledger_transactions SET reference = 'x'`, `DELETE FROM ledger_transactions`} {
			if err := execRaw(ctx, db, q); err == nil {
				t.Errorf("%s was allowed", q)
			}
		}
		if b := mustBalance(t, db, 7); b != 500 {
			t.Fatalf("balance %d after refused changes, want 500", b)
		}
		// A sale that would not balance is refused whole.
		if _, err := db.PostSale(ctx, store.Sale{Reference: "o2", Currency: "EUR", ArtistShare: 5000, Lines: []store.SaleLine{{MemberID: 7, Amount: -5}}}); err == nil {
			t.Error("a negative sale line was posted")
		}
		if _, err := db.PostRefund(ctx, "nothing-sold", ""); !errors.Is(err, chorus.ErrNotFound) {
			t.Errorf("refund of an unknown sale: %v", err)
		}
	})
}

func execRaw(ctx context.Context, db *store.DB, q string) error {
	_, err := db.SQL().ExecContext(ctx, q)
	return err
}
