package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/consent"
)

// VisitorHash is how a visitor's consent id is kept: the hex SHA-256 of
// the random id in their cookie, so that the table alone cannot be used to
// act as the visitor.
func VisitorHash(consentID string) string {
	sum := sha256.Sum256([]byte(consentID))
	return hex.EncodeToString(sum[:])
}

const consentColumns = `id, member_id, given, refused, signal, policy_version, wording, source, carried_from, created_at`

func scanConsent(row rowScanner) (consent.Record, error) {
	var (
		r              consent.Record
		member, from   sql.NullInt64
		given, refused string
		source         string
	)
	err := row.Scan(&r.ID, &member, &given, &refused, &r.Signal, &r.PolicyVersion, &r.Wording, &source, &from, &r.CreatedAt)
	r.MemberID, r.CarriedFrom, r.Source = member.Int64, from.Int64, consent.Source(source)
	r.Given, r.Refused = splitPurposes(given), splitPurposes(refused)
	return r, err
}

func joinPurposes(ps []consent.Purpose) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

func splitPurposes(s string) []consent.Purpose {
	var out []consent.Purpose
	for _, name := range strings.Split(s, ",") {
		if p, ok := consent.Parse(name); ok {
			out = append(out, p)
		}
	}
	return out
}

// ConsentSubject is whose choice a record is: a member, or a visitor by
// the hash of their consent id (VisitorHash). Exactly one is set.
type ConsentSubject struct {
	MemberID    int64
	VisitorHash string
}

func (s ConsentSubject) valid() bool {
	return (s.MemberID != 0) != (s.VisitorHash != "")
}

// RecordConsent appends a choice to the ledger and returns it with its id
// and time. Purposes that are unknown are refused as invalid input.
func (tx *Tx) RecordConsent(ctx context.Context, who ConsentSubject, r consent.Record) (consent.Record, error) {
	if !who.valid() {
		return consent.Record{}, errors.New("consent: exactly one of member and visitor")
	}
	for _, p := range append(append([]consent.Purpose{}, r.Given...), r.Refused...) {
		if _, ok := consent.Parse(string(p)); !ok {
			return consent.Record{}, chorus.Invalid("That is not one of the purposes we ask about.")
		}
	}
	if !storable(r.Wording + r.PolicyVersion + r.Signal) {
		return consent.Record{}, errors.New("consent: wording that cannot be stored")
	}
	r.MemberID, r.CreatedAt = who.MemberID, tx.Now
	err := tx.queryRow(ctx, `INSERT INTO consent_records (member_id, visitor_hash, given, refused, signal, policy_version, wording, source, carried_from, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sql.NullInt64{Int64: who.MemberID, Valid: who.MemberID != 0}, sql.NullString{String: who.VisitorHash, Valid: who.VisitorHash != ""},
		joinPurposes(r.Given), joinPurposes(r.Refused), r.Signal, r.PolicyVersion, r.Wording, string(r.Source),
		sql.NullInt64{Int64: r.CarriedFrom, Valid: r.CarriedFrom != 0}, r.CreatedAt).Scan(&r.ID)
	if err != nil {
		return consent.Record{}, fmt.Errorf("record consent: %w", err)
	}
	return r, nil
}

// LatestConsent returns the choice that counts for who: their latest
// record, or ErrNotFound when they never chose.
func (s *DB) LatestConsent(ctx context.Context, who ConsentSubject) (consent.Record, error) {
	return latestConsent(ctx, s.queryRow, who)
}

func latestConsent(ctx context.Context, queryRow func(context.Context, string, ...any) *sql.Row, who ConsentSubject) (consent.Record, error) {
	if !who.valid() || !storable(who.VisitorHash) {
		return consent.Record{}, fmt.Errorf("consent: %w", chorus.ErrNotFound)
	}
	q := `SELECT ` + consentColumns + ` FROM consent_records WHERE member_id = ? ORDER BY id DESC LIMIT 1`
	var arg any = who.MemberID
	if who.MemberID == 0 {
		q = `SELECT ` + consentColumns + ` FROM consent_records WHERE visitor_hash = ? ORDER BY id DESC LIMIT 1`
		arg = who.VisitorHash
	}
	r, err := scanConsent(queryRow(ctx, q, arg))
	return r, notFound(err, "consent")
}

// ConsentHistory returns every choice the member made, newest first.
func (s *DB) ConsentHistory(ctx context.Context, memberID int64) ([]consent.Record, error) {
	rows, err := s.query(ctx, `SELECT `+consentColumns+` FROM consent_records WHERE member_id = ? ORDER BY id DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Record
	for rows.Next() {
		r, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CarryConsent settles, when a member logs in on a browser whose visitor
// made a choice (visitorHash), which choice counts. A member who has a
// recorded choice of their own keeps it: the member's choice wins over the
// browser's, and the browser gets a copy of it (a visitor record with
// source consent.FromAccount) when its latest choice says otherwise, so
// that it follows the member's choice after logging out too. Only a member
// who never chose takes over the visitor's latest choice: they get a new
// record that copies it, with source consent.FromVisit. It reports whether
// the member got a record.
func (tx *Tx) CarryConsent(ctx context.Context, visitorHash string, memberID int64) (bool, error) {
	visit, err := latestConsent(ctx, tx.queryRow, ConsentSubject{VisitorHash: visitorHash})
	if errors.Is(err, chorus.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	own, err := latestConsent(ctx, tx.queryRow, ConsentSubject{MemberID: memberID})
	switch {
	case errors.Is(err, chorus.ErrNotFound):
		visit.Source, visit.CarriedFrom = consent.FromVisit, visit.ID
		_, err = tx.RecordConsent(ctx, ConsentSubject{MemberID: memberID}, visit)
		return err == nil, err
	case err != nil:
		return false, err
	}
	if slices.Equal(own.Given, visit.Given) && slices.Equal(own.Refused, visit.Refused) {
		return false, nil
	}
	own.Source, own.CarriedFrom = consent.FromAccount, 0
	_, err = tx.RecordConsent(ctx, ConsentSubject{VisitorHash: visitorHash}, own)
	return false, err
}

// DeleteExpiredVisitorConsent deletes visitors' records made before
// before, and returns how many it deleted. A visitor's cookie lasts
// consent.ConsentCookieMaxAge, after which the record proves nothing that
// is still in use. Members' records are kept with their account.
func (s *DB) DeleteExpiredVisitorConsent(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM consent_records WHERE member_id IS NULL AND created_at < ?`, before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
