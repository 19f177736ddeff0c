package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/money"
)

// AccountKind is the kind of a ledger account.
type AccountKind string

// The accounts of the PRO ledger. Amounts are debits when positive and
// credits when negative; the entries of every transaction sum to zero.
const (
	// Payable is what the site owes one member (a liability: its balance
	// is a credit, shown as a positive amount owed).
	Payable AccountKind = "payable"
	// Revenue is the site's share of sales (income: a credit).
	Revenue AccountKind = "revenue"
	// Refunds is the site's share of refunded sales (contra-revenue: a debit).
	Refunds AccountKind = "refunds"
	// Cash is money received from customers and paid out to members (an
	// asset: a debit), the customer receivable until the payment settles.
	Cash AccountKind = "cash"
)

// Transaction kinds.
const (
	TxSale   = "sale"
	TxRefund = "refund"
	TxPayout = "payout"
)

// SaleLine is the part of a sale that pays one member's music: Amount in
// minor units of the sale's currency, before the split.
type SaleLine struct {
	MemberID int64
	Amount   int64
}

// Sale is a sale of PRO licences to post to the ledger.
type Sale struct {
	// Reference identifies the sale for the caller (an order id); posting
	// a sale with a reference already posted posts nothing again.
	Reference string
	// Currency is the ISO 4217 code ("EUR").
	Currency string
	// Lines are what the customer paid for each member's music; each is
	// split between the member and the site at ArtistShare.
	Lines []SaleLine
	// ArtistShare is the member's share in basis points (5000 = 50%).
	ArtistShare int
	Memo        string
}

// Posting is one entry of a transaction about to be posted.
type posting struct {
	account int64
	amount  int64
}

// PostSale records a sale: the customer's payment to cash, each member's
// share to their payable account and the site's to revenue, split by
// money.Split so no minor unit is lost. It returns the transaction's id;
// a sale whose Reference was already posted is not posted again and its
// first transaction's id is returned. Errors: chorus.InvalidError for an
// empty reference or currency, no lines, or a line not above zero.
func (tx *Tx) PostSale(ctx context.Context, s Sale) (int64, error) {
	if strings.TrimSpace(s.Reference) == "" || len(s.Currency) != 3 || len(s.Lines) == 0 || s.ArtistShare < 0 || s.ArtistShare > 10000 {
		return 0, chorus.Invalid("a sale needs a reference, a currency, lines, and an artist share from 0 to 10000 basis points")
	}
	if id, err := tx.transactionID(ctx, TxSale, s.Reference); err == nil {
		return id, nil
	} else if !errors.Is(err, chorus.ErrNotFound) {
		return 0, err
	}
	cash, err := tx.account(ctx, Cash, 0, s.Currency)
	if err != nil {
		return 0, err
	}
	revenue, err := tx.account(ctx, Revenue, 0, s.Currency)
	if err != nil {
		return 0, err
	}
	var ps []posting
	var total, site int64
	for _, l := range s.Lines {
		if l.Amount <= 0 || l.MemberID <= 0 {
			return 0, chorus.Invalid("each line of a sale names a member and an amount above zero")
		}
		artist, platform := money.Split(l.Amount, s.ArtistShare)
		payable, err := tx.account(ctx, Payable, l.MemberID, s.Currency)
		if err != nil {
			return 0, err
		}
		if artist != 0 {
			ps = append(ps, posting{payable, -artist})
		}
		total += l.Amount
		site += platform
	}
	ps = append(ps, posting{cash, total})
	if site != 0 {
		ps = append(ps, posting{revenue, -site})
	}
	return tx.post(ctx, TxSale, s.Reference, s.Memo, ps)
}

// PostSale is Tx.PostSale in a transaction of its own.
func (s *DB) PostSale(ctx context.Context, sale Sale) (id int64, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		id, err = tx.PostSale(ctx, sale)
		return err
	})
	return id, err
}

// PostRefund reverses the whole sale known by saleReference: each
// member's share goes back out of their payable account, the site's share
// to refunds, and the payment out of cash. Refunding twice refunds once
// (the refund's id is returned). chorus.ErrNotFound when no such sale.
func (tx *Tx) PostRefund(ctx context.Context, saleReference, memo string) (int64, error) {
	saleID, err := tx.transactionID(ctx, TxSale, saleReference)
	if err != nil {
		return 0, err
	}
	if id, err := tx.transactionID(ctx, TxRefund, saleReference); err == nil {
		return id, nil
	} else if !errors.Is(err, chorus.ErrNotFound) {
		return 0, err
	}
	rows, err := tx.query(ctx, `SELECT e.account_id, e.amount, a.kind, a.currency FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transaction_id = ? ORDER BY e.id`, saleID)
	if err != nil {
		return 0, err
	}
	type entry struct {
		account        int64
		amount         int64
		kind, currency string
	}
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.account, &e.amount, &e.kind, &e.currency); err != nil {
			rows.Close()
			return 0, err
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var ps []posting
	for _, e := range es {
		acct := e.account
		if AccountKind(e.kind) == Revenue {
			if acct, err = tx.account(ctx, Refunds, 0, e.currency); err != nil {
				return 0, err
			}
		}
		ps = append(ps, posting{acct, -e.amount})
	}
	return tx.post(ctx, TxRefund, saleReference, memo, ps)
}

// PostRefund is Tx.PostRefund in a transaction of its own.
func (s *DB) PostRefund(ctx context.Context, saleReference, memo string) (id int64, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		id, err = tx.PostRefund(ctx, saleReference, memo)
		return err
	})
	return id, err
}

// post writes a transaction and its entries after checking that they
// sum to zero: the one place entries are written.
func (tx *Tx) post(ctx context.Context, kind, reference, memo string, ps []posting) (int64, error) {
	var sum int64
	for _, p := range ps {
		sum += p.amount
	}
	if sum != 0 || len(ps) < 2 {
		return 0, fmt.Errorf("ledger: %s %q does not balance (sum %d over %d entries)", kind, reference, sum, len(ps))
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO ledger_transactions (kind, reference, memo, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		kind, reference, memo, tx.Now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("ledger: %w", err)
	}
	for _, p := range ps {
		if _, err := tx.exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)`, id, p.account, p.amount); err != nil {
			return 0, fmt.Errorf("ledger: %w", err)
		}
	}
	return id, nil
}

func (tx *Tx) transactionID(ctx context.Context, kind, reference string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM ledger_transactions WHERE kind = ? AND reference = ?`, kind, reference).Scan(&id)
	return id, notFound(err, "ledger transaction")
}

// account returns the id of an account, opening it on first use.
func (tx *Tx) account(ctx context.Context, kind AccountKind, memberID int64, currency string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM ledger_accounts WHERE kind = ? AND member_id = ? AND currency = ?`, kind, memberID, currency).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = tx.queryRow(ctx, `INSERT INTO ledger_accounts (kind, member_id, currency, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		kind, memberID, currency, tx.Now).Scan(&id)
	return id, err
}

// Balance is what the site owes the member in currency, in minor units:
// the credit balance of their payable account, summed from its entries.
func (s *DB) Balance(ctx context.Context, memberID int64, currency string) (int64, error) {
	b, err := s.AccountBalance(ctx, Payable, memberID, currency)
	return -b, err
}

// AccountBalance is the sum of the entries of an account (debits
// positive), 0 for an account never used. memberID is 0 for the site's
// own accounts.
func (s *DB) AccountBalance(ctx context.Context, kind AccountKind, memberID int64, currency string) (int64, error) {
	var sum int64
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE a.kind = ? AND a.member_id = ? AND a.currency = ?`, kind, memberID, currency).Scan(&sum)
	return sum, err
}

// UnbalancedTransactions lists the ids of transactions whose entries do
// not sum to zero per currency; the ledger's invariant is that there are
// none.
func (s *DB) UnbalancedTransactions(ctx context.Context) ([]int64, error) {
	return s.IDs(ctx, `SELECT e.transaction_id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		GROUP BY e.transaction_id, a.currency HAVING SUM(e.amount) <> 0`)
}

// StatementLine is one movement of a member's payable account: Amount is
// what it added to what they are owed (negative for refunds and payouts).
type StatementLine struct {
	At        time.Time
	Kind      string
	Reference string
	Memo      string
	Amount    int64
}

// Statement is a member's movements in currency during [from, to), with
// the balance owed before and after.
type Statement struct {
	From, To        time.Time
	Currency        string
	Opening, Ending int64
	Lines           []StatementLine
}

// Statement builds the member's statement for [from, to) from the ledger.
func (s *DB) Statement(ctx context.Context, memberID int64, currency string, from, to time.Time) (Statement, error) {
	st := Statement{From: from, To: to, Currency: currency}
	err := s.queryRow(ctx, `SELECT COALESCE(-SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE a.kind = 'payable' AND a.member_id = ? AND a.currency = ? AND t.created_at < ?`, memberID, currency, from.UTC()).Scan(&st.Opening)
	if err != nil {
		return st, err
	}
	rows, err := s.query(ctx, `SELECT t.created_at, t.kind, t.reference, t.memo, -e.amount FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE a.kind = 'payable' AND a.member_id = ? AND a.currency = ? AND t.created_at >= ? AND t.created_at < ?
		ORDER BY t.created_at, e.id`, memberID, currency, from.UTC(), to.UTC())
	if err != nil {
		return st, err
	}
	defer rows.Close()
	st.Ending = st.Opening
	for rows.Next() {
		var l StatementLine
		if err := rows.Scan(&l.At, &l.Kind, &l.Reference, &l.Memo, &l.Amount); err != nil {
			return st, err
		}
		st.Ending += l.Amount
		st.Lines = append(st.Lines, l)
	}
	return st, rows.Err()
}

// StatementMonths lists the months ("2026-11") in which the member's
// payable account moved, newest first.
func (s *DB) StatementMonths(ctx context.Context, memberID int64) ([]string, error) {
	rows, err := s.query(ctx, `SELECT t.created_at FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		JOIN ledger_transactions t ON t.id = e.transaction_id WHERE a.kind = 'payable' AND a.member_id = ? ORDER BY t.created_at DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			return nil, err
		}
		m := at.UTC().Format("2006-01")
		if len(out) == 0 || out[len(out)-1] != m {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}
