package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// PayoutCandidate is a member due a payout: owed at least the threshold,
// with bank details, and not already in a batch waiting to be paid.
type PayoutCandidate struct {
	MemberID   int64
	Amount     int64
	IBANMasked string
}

// PayoutCandidates lists the members owed at least threshold minor units
// of currency who have bank details and are in no unpaid batch. Members
// without bank details are left out: their payouts are paused and their
// balance stays.
func (s *DB) PayoutCandidates(ctx context.Context, currency string, threshold int64) ([]PayoutCandidate, error) {
	return payoutCandidates(ctx, s.query, currency, threshold)
}

func payoutCandidates(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error), currency string, threshold int64) ([]PayoutCandidate, error) {
	rows, err := query(ctx, `SELECT a.member_id, -SUM(e.amount), p.iban_masked FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.account_id JOIN pro_members p ON p.member_id = a.member_id
		WHERE a.kind = 'payable' AND a.currency = ? AND length(p.iban) > 0 AND length(p.bic) > 0
		AND a.member_id NOT IN (SELECT x.member_id FROM pro_payouts x JOIN pro_payout_batches b ON b.id = x.batch_id WHERE b.paid_at IS NULL)
		GROUP BY a.member_id, p.iban_masked HAVING -SUM(e.amount) >= ? AND -SUM(e.amount) > 0 ORDER BY a.member_id`, currency, threshold)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PayoutCandidate
	for rows.Next() {
		var c PayoutCandidate
		if err := rows.Scan(&c.MemberID, &c.Amount, &c.IBANMasked); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PayoutBatch is one SEPA Credit Transfer file's worth of payouts.
type PayoutBatch struct {
	ID        int64
	MsgID     string
	Currency  string
	CreatedAt time.Time
	PaidAt    *time.Time
	Payouts   []Payout
}

// Total is the sum of the batch's payouts, in minor units.
func (b PayoutBatch) Total() int64 {
	var t int64
	for _, p := range b.Payouts {
		t += p.Amount
	}
	return t
}

// Payout is one transfer of a batch.
type Payout struct {
	ID, MemberID int64
	Amount       int64
	IBANMasked   string
}

// CreatePayoutBatch puts every current payout candidate into a new batch
// named msgID (the file's MsgId) and returns it; chorus.ErrNotFound when
// no one is due a payout. The amounts are fixed now: sales after it wait
// for the next batch.
func (tx *Tx) CreatePayoutBatch(ctx context.Context, adminID int64, currency, msgID string, threshold int64) (PayoutBatch, error) {
	cands, err := payoutCandidates(ctx, tx.query, currency, threshold)
	if err != nil {
		return PayoutBatch{}, err
	}
	if len(cands) == 0 {
		return PayoutBatch{}, fmt.Errorf("payout candidates: %w", chorus.ErrNotFound)
	}
	b := PayoutBatch{MsgID: msgID, Currency: currency, CreatedAt: tx.Now}
	if err := tx.queryRow(ctx, `INSERT INTO pro_payout_batches (msg_id, currency, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		msgID, currency, nullID(adminID), tx.Now).Scan(&b.ID); err != nil {
		return b, err
	}
	for _, c := range cands {
		p := Payout{MemberID: c.MemberID, Amount: c.Amount, IBANMasked: c.IBANMasked}
		if err := tx.queryRow(ctx, `INSERT INTO pro_payouts (batch_id, member_id, amount, iban_masked) VALUES (?, ?, ?, ?) RETURNING id`,
			b.ID, c.MemberID, c.Amount, c.IBANMasked).Scan(&p.ID); err != nil {
			return b, err
		}
		b.Payouts = append(b.Payouts, p)
	}
	return b, nil
}

// PayoutBatches lists the batches, newest first, with their payouts.
func (s *DB) PayoutBatches(ctx context.Context) ([]PayoutBatch, error) {
	ids, err := s.IDs(ctx, `SELECT id FROM pro_payout_batches ORDER BY id DESC LIMIT 100`)
	if err != nil {
		return nil, err
	}
	var out []PayoutBatch
	for _, id := range ids {
		b, err := s.PayoutBatch(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// PayoutBatch returns a batch with its payouts, or chorus.ErrNotFound.
func (s *DB) PayoutBatch(ctx context.Context, id int64) (PayoutBatch, error) {
	var b PayoutBatch
	var paid sql.NullTime
	err := s.queryRow(ctx, `SELECT id, msg_id, currency, created_at, paid_at FROM pro_payout_batches WHERE id = ?`, id).
		Scan(&b.ID, &b.MsgID, &b.Currency, &b.CreatedAt, &paid)
	if err != nil {
		return b, notFound(err, "payout batch")
	}
	if paid.Valid {
		t := paid.Time
		b.PaidAt = &t
	}
	rows, err := s.query(ctx, `SELECT id, member_id, amount, iban_masked FROM pro_payouts WHERE batch_id = ? ORDER BY id`, id)
	if err != nil {
		return b, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Payout
		if err := rows.Scan(&p.ID, &p.MemberID, &p.Amount, &p.IBANMasked); err != nil {
			return b, err
		}
		b.Payouts = append(b.Payouts, p)
	}
	return b, rows.Err()
}

// MarkPayoutBatchPaid records that the bank executed the batch: for each
// payout, a ledger transaction moves its amount out of the member's
// payable account and out of cash, and the batch is marked paid.
// chorus.ErrConflict when it was already marked paid.
func (tx *Tx) MarkPayoutBatchPaid(ctx context.Context, batchID, adminID int64) error {
	res, err := tx.exec(ctx, `UPDATE pro_payout_batches SET paid_at = ?, paid_by = ? WHERE id = ? AND paid_at IS NULL`, tx.Now, nullID(adminID), batchID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if err := tx.queryRow(ctx, `SELECT 1 FROM pro_payout_batches WHERE id = ?`, batchID).Scan(&one); err != nil {
			return notFound(err, "payout batch")
		}
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This batch was already marked paid."}
	}
	var currency, msgID string
	if err := tx.queryRow(ctx, `SELECT currency, msg_id FROM pro_payout_batches WHERE id = ?`, batchID).Scan(&currency, &msgID); err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT member_id, amount FROM pro_payouts WHERE batch_id = ? ORDER BY id`, batchID)
	if err != nil {
		return err
	}
	type due struct{ member, amount int64 }
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.member, &d.amount); err != nil {
			rows.Close()
			return err
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	cash, err := tx.account(ctx, Cash, 0, currency)
	if err != nil {
		return err
	}
	for _, d := range dues {
		payable, err := tx.account(ctx, Payable, d.member, currency)
		if err != nil {
			return err
		}
		ref := fmt.Sprintf("%s/%d", msgID, d.member)
		if _, err := tx.post(ctx, TxPayout, ref, "SEPA credit transfer "+msgID, []posting{{payable, d.amount}, {cash, -d.amount}}); err != nil {
			return err
		}
	}
	return nil
}
