package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Passkey is a WebAuthn credential a member logs in with.
type Passkey struct {
	ID           int64
	MemberID     int64
	CredentialID string // base64url, as the browser names it
	Name         string // chosen by the member ("Laptop")
	Credential   []byte // the WebAuthn credential record, JSON
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero if never used
}

// WebAuthnHandle returns the member's WebAuthn user handle, making one
// from newHandle the first time.
func (s *DB) WebAuthnHandle(ctx context.Context, memberID int64, newHandle string) (string, error) {
	if _, err := s.exec(ctx, `UPDATE members SET webauthn_handle = ? WHERE id = ? AND webauthn_handle = ''`, newHandle, memberID); err != nil {
		return "", err
	}
	var h string
	err := s.queryRow(ctx, `SELECT webauthn_handle FROM members WHERE id = ?`, memberID).Scan(&h)
	return h, notFound(err, "member")
}

// MemberByWebAuthnHandle returns the id of the member with that handle, or ErrNotFound.
func (s *DB) MemberByWebAuthnHandle(ctx context.Context, handle string) (int64, error) {
	var id int64
	if handle == "" || !storable(handle) {
		return 0, notFound(sql.ErrNoRows, "member")
	}
	err := s.queryRow(ctx, `SELECT id FROM members WHERE webauthn_handle = ?`, handle).Scan(&id)
	return id, notFound(err, "member")
}

// AddPasskey stores a new passkey. A credential already registered is an
// *chorus.InvalidError.
func (tx *Tx) AddPasskey(ctx context.Context, p Passkey) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO member_passkeys (member_id, credential_id, name, credential, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, p.MemberID, p.CredentialID, p.Name, string(p.Credential), tx.Now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, errors.New("this passkey is already registered")
	}
	if err != nil {
		return 0, fmt.Errorf("add passkey: %w", err)
	}
	return id, nil
}

// Passkeys lists the member's passkeys, oldest first.
func (s *DB) Passkeys(ctx context.Context, memberID int64) ([]Passkey, error) {
	rows, err := s.query(ctx, `SELECT id, member_id, credential_id, name, credential, created_at, last_used_at
		FROM member_passkeys WHERE member_id = ? ORDER BY id`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var cred string
		var used sql.NullTime
		if err := rows.Scan(&p.ID, &p.MemberID, &p.CredentialID, &p.Name, &cred, &p.CreatedAt, &used); err != nil {
			return nil, err
		}
		p.Credential, p.LastUsedAt = []byte(cred), used.Time
		out = append(out, p)
	}
	return out, rows.Err()
}

// UsePasskey records a login with the passkey and its new credential
// record (the authenticator's sign count moves on with each use).
func (s *DB) UsePasskey(ctx context.Context, credentialID string, credential []byte) error {
	_, err := s.exec(ctx, `UPDATE member_passkeys SET credential = ?, last_used_at = ? WHERE credential_id = ?`,
		string(credential), s.now().UTC().Truncate(time.Microsecond), credentialID)
	return err
}

// RemovePasskey deletes one of the member's passkeys; it reports whether
// there was one with that id.
func (s *DB) RemovePasskey(ctx context.Context, memberID, id int64) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM member_passkeys WHERE id = ? AND member_id = ?`, id, memberID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
