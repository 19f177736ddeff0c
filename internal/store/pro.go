package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// ProMember is a member who joined PRO. VATID, IBAN and BIC are
// ciphertexts (pro.Vault), empty when not given; IBANMasked is the only
// form of the IBAN screens show.
type ProMember struct {
	MemberID   int64
	LegalName  string
	Address    string
	Country    string // ISO 3166-1 alpha-2
	EntityKind string // "individual" or "company"
	VATID      []byte
	IBAN, BIC  []byte
	IBANMasked string
	// Catalogue offers every track of the member's artists.
	Catalogue  bool
	JoinedAt   time.Time
	OptedOutAt *time.Time
}

// HasBank reports whether payouts can go to the member's bank account.
func (m ProMember) HasBank() bool { return len(m.IBAN) > 0 && len(m.BIC) > 0 }

// Selling reports whether new sales of the member's tracks are allowed.
func (m ProMember) Selling() bool { return m.OptedOutAt == nil }

const proColumns = `member_id, legal_name, address, country, entity_kind, vat_id, iban, bic, iban_masked, catalogue, joined_at, opted_out_at`

func scanPro(row rowScanner) (ProMember, error) {
	var m ProMember
	var out sql.NullTime
	err := row.Scan(&m.MemberID, &m.LegalName, &m.Address, &m.Country, &m.EntityKind, &m.VATID, &m.IBAN, &m.BIC, &m.IBANMasked, &m.Catalogue, &m.JoinedAt, &out)
	if out.Valid {
		t := out.Time
		m.OptedOutAt = &t
	}
	return m, err
}

// ProMember returns the member's PRO record, or chorus.ErrNotFound when
// they have not joined.
func (s *DB) ProMember(ctx context.Context, memberID int64) (ProMember, error) {
	m, err := scanPro(s.queryRow(ctx, `SELECT `+proColumns+` FROM pro_members WHERE member_id = ?`, memberID))
	return m, notFound(err, "PRO member")
}

// ProMember is DB.ProMember in a transaction; on PostgreSQL the row is
// locked until the transaction ends (SQLite transactions hold the write
// lock already).
func (tx *Tx) ProMember(ctx context.Context, memberID int64) (ProMember, error) {
	q := `SELECT ` + proColumns + ` FROM pro_members WHERE member_id = ?`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	m, err := scanPro(tx.queryRow(ctx, q, memberID))
	return m, notFound(err, "PRO member")
}

// ProMemberIDs lists every PRO member, in order.
func (s *DB) ProMemberIDs(ctx context.Context) ([]int64, error) {
	return s.IDs(ctx, `SELECT member_id FROM pro_members ORDER BY member_id`)
}

// JoinPro records the member's PRO identity, creating the row or
// replacing the identity of an existing one (and opting them back in).
// The ciphertexts must have been made for this member's row.
func (tx *Tx) JoinPro(ctx context.Context, m ProMember) error {
	_, err := tx.exec(ctx, `INSERT INTO pro_members (member_id, legal_name, address, country, entity_kind, vat_id, iban, bic, iban_masked, catalogue, joined_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (member_id) DO UPDATE SET legal_name = excluded.legal_name, address = excluded.address, country = excluded.country,
			entity_kind = excluded.entity_kind, vat_id = excluded.vat_id, iban = excluded.iban, bic = excluded.bic,
			iban_masked = excluded.iban_masked, opted_out_at = NULL, updated_at = excluded.updated_at`,
		m.MemberID, m.LegalName, m.Address, m.Country, m.EntityKind, nonNil(m.VATID), nonNil(m.IBAN), nonNil(m.BIC), m.IBANMasked, m.Catalogue, tx.Now, tx.Now)
	if err != nil {
		return fmt.Errorf("join PRO: %w", err)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// SetProBank replaces the member's bank details (ciphertexts and mask);
// empty values remove them, which pauses payouts.
func (tx *Tx) SetProBank(ctx context.Context, memberID int64, iban, bic []byte, masked string) error {
	res, err := tx.exec(ctx, `UPDATE pro_members SET iban = ?, bic = ?, iban_masked = ?, updated_at = ? WHERE member_id = ?`,
		nonNil(iban), nonNil(bic), masked, tx.Now, memberID)
	return updatedOne(res, err, "PRO member")
}

// SetProSecrets rewrites the three ciphertexts of a member, as key
// rotation does; the values themselves do not change.
func (tx *Tx) SetProSecrets(ctx context.Context, memberID int64, vatID, iban, bic []byte) error {
	res, err := tx.exec(ctx, `UPDATE pro_members SET vat_id = ?, iban = ?, bic = ? WHERE member_id = ?`,
		nonNil(vatID), nonNil(iban), nonNil(bic), memberID)
	return updatedOne(res, err, "PRO member")
}

func updatedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, chorus.ErrNotFound)
	}
	return nil
}

// SetProSelling opts the member out of PRO (no new sales; licences sold
// stay valid) or back in.
func (tx *Tx) SetProSelling(ctx context.Context, memberID int64, selling bool) error {
	var at any
	if !selling {
		at = tx.Now
	}
	res, err := tx.exec(ctx, `UPDATE pro_members SET opted_out_at = ?, updated_at = ? WHERE member_id = ?`, at, tx.Now, memberID)
	return updatedOne(res, err, "PRO member")
}

// SetProTracks says which of the member's tracks PRO offers: all of them
// (catalogue), or those in trackIDs. Ids of tracks that are not the
// member's are ignored.
func (tx *Tx) SetProTracks(ctx context.Context, memberID int64, catalogue bool, trackIDs []int64) error {
	res, err := tx.exec(ctx, `UPDATE pro_members SET catalogue = ?, updated_at = ? WHERE member_id = ?`, catalogue, tx.Now, memberID)
	if err := updatedOne(res, err, "PRO member"); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM pro_tracks WHERE track_id IN (SELECT t.id FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE a.member_id = ?)`, memberID); err != nil {
		return err
	}
	for _, id := range trackIDs {
		if _, err := tx.exec(ctx, `INSERT INTO pro_tracks (track_id, opted_in_at)
			SELECT t.id, ? FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE t.id = ? AND a.member_id = ?
			ON CONFLICT (track_id) DO NOTHING`, tx.Now, id, memberID); err != nil {
			return err
		}
	}
	return nil
}

// ProTrackIDs lists the member's tracks offered one by one.
func (s *DB) ProTrackIDs(ctx context.Context, memberID int64) ([]int64, error) {
	return s.IDs(ctx, `SELECT p.track_id FROM pro_tracks p JOIN tracks t ON t.id = p.track_id JOIN artists a ON a.id = t.artist_id
		WHERE a.member_id = ? ORDER BY p.track_id`, memberID)
}

// ProSellable reports whether a new PRO licence of the track may be sold
// now, and to whose benefit: its artist's member has joined PRO, accepted
// the current distribution agreement, not opted out, and offers the track
// (whole catalogue or this track). Sales code checks it before every sale.
func (s *DB) ProSellable(ctx context.Context, trackID int64, agreementVersion string) (memberID int64, ok bool, err error) {
	err = s.queryRow(ctx, `SELECT p.member_id FROM tracks t JOIN artists a ON a.id = t.artist_id JOIN pro_members p ON p.member_id = a.member_id
		WHERE t.id = ? AND p.opted_out_at IS NULL
		AND (p.catalogue OR EXISTS (SELECT 1 FROM pro_tracks x WHERE x.track_id = t.id))
		AND EXISTS (SELECT 1 FROM pro_agreements g WHERE g.member_id = p.member_id AND g.version = ?)`, trackID, agreementVersion).Scan(&memberID)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return memberID, err == nil, err
}

// AgreementAcceptance is a member's acceptance of a version of the
// distribution agreement.
type AgreementAcceptance struct {
	Version    string
	AcceptedAt time.Time
}

// AcceptAgreement records that the member accepted version of the
// distribution agreement now (append-only).
func (tx *Tx) AcceptAgreement(ctx context.Context, memberID int64, version string) error {
	_, err := tx.exec(ctx, `INSERT INTO pro_agreements (member_id, version, accepted_at) VALUES (?, ?, ?)`, memberID, version, tx.Now)
	return err
}

// Agreements lists the member's acceptances, newest first.
func (s *DB) Agreements(ctx context.Context, memberID int64) ([]AgreementAcceptance, error) {
	rows, err := s.query(ctx, `SELECT version, accepted_at FROM pro_agreements WHERE member_id = ? ORDER BY id DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgreementAcceptance
	for rows.Next() {
		var a AgreementAcceptance
		if err := rows.Scan(&a.Version, &a.AcceptedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Decryption is one entry of the log of PRO secrets decrypted: whose
// value (MemberID), which (Value, "pro_members.iban"), who saw it
// (ViewerID; 0 for the program itself, such as key rotation) and why.
type Decryption struct {
	MemberID, ViewerID int64
	Value, Reason      string
	At                 time.Time
}

// LogDecryption records a decryption; callers record it in the
// transaction that reads the ciphertext, before decrypting.
func (tx *Tx) LogDecryption(ctx context.Context, d Decryption) error {
	var viewer any
	if d.ViewerID != 0 {
		viewer = d.ViewerID
	}
	_, err := tx.exec(ctx, `INSERT INTO pro_decryptions (member_id, viewer_id, value, reason, created_at) VALUES (?, ?, ?, ?, ?)`,
		d.MemberID, viewer, d.Value, d.Reason, tx.Now)
	return err
}

// Decryptions lists the decryptions of the member's secrets, newest first.
func (s *DB) Decryptions(ctx context.Context, memberID int64) ([]Decryption, error) {
	rows, err := s.query(ctx, `SELECT member_id, viewer_id, value, reason, created_at FROM pro_decryptions WHERE member_id = ? ORDER BY id DESC`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Decryption
	for rows.Next() {
		var d Decryption
		var viewer sql.NullInt64
		if err := rows.Scan(&d.MemberID, &viewer, &d.Value, &d.Reason, &d.At); err != nil {
			return nil, err
		}
		d.ViewerID = viewer.Int64
		out = append(out, d)
	}
	return out, rows.Err()
}
