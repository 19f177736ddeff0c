package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// ErasureRequest is a member's request to erase their account, carried
// out at EraseAt (at once, or after a grace period).
type ErasureRequest struct {
	MemberID    int64
	RequestedAt time.Time
	EraseAt     time.Time
}

// RequestErasure records that the member asked for their account to be
// erased at eraseAt, replacing an earlier request, and ends every session
// of the member: logging in again cancels the request (CancelErasure).
// The last active admin cannot ask, so that the site keeps one.
func (tx *Tx) RequestErasure(ctx context.Context, memberID int64, eraseAt time.Time) (ErasureRequest, error) {
	m, err := tx.Member(ctx, memberID)
	if err != nil {
		return ErasureRequest{}, err
	}
	if m.Role == chorus.RoleAdmin {
		if err := tx.keepAnAdmin(ctx, memberID); err != nil {
			return ErasureRequest{}, err
		}
	}
	req := ErasureRequest{MemberID: memberID, RequestedAt: tx.Now, EraseAt: eraseAt.UTC().Truncate(time.Microsecond)}
	if _, err := tx.exec(ctx, `DELETE FROM erasure_requests WHERE member_id = ?`, memberID); err != nil {
		return req, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO erasure_requests (member_id, requested_at, erase_at) VALUES (?, ?, ?)`,
		memberID, req.RequestedAt, req.EraseAt); err != nil {
		return req, fmt.Errorf("record erasure request: %w", err)
	}
	_, err = tx.EndMemberSessions(ctx, memberID, "")
	return req, err
}

// ErasureRequest returns the member's pending erasure request, or
// ErrNotFound when there is none.
func (s *DB) ErasureRequest(ctx context.Context, memberID int64) (ErasureRequest, error) {
	r := ErasureRequest{MemberID: memberID}
	err := s.queryRow(ctx, `SELECT requested_at, erase_at FROM erasure_requests WHERE member_id = ?`, memberID).Scan(&r.RequestedAt, &r.EraseAt)
	return r, notFound(err, "erasure request")
}

// CancelErasure withdraws the member's erasure request and reports
// whether there was one.
func (s *DB) CancelErasure(ctx context.Context, memberID int64) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM erasure_requests WHERE member_id = ?`, memberID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// The statements below run what internal/erasure builds from the data
// map: table and column names come from that declaration, never from
// input, and every value is a bound argument.

// DeleteWhere deletes the rows of table matching where (with args) and
// returns how many.
func (tx *Tx) DeleteWhere(ctx context.Context, table, where string, args ...any) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("erase from %s: %w", table, err)
	}
	return res.RowsAffected()
}

// UpdateWhere runs "UPDATE table SET set WHERE where" and returns how many
// rows changed.
func (tx *Tx) UpdateWhere(ctx context.Context, table, set, where string, args ...any) (int64, error) {
	res, err := tx.exec(ctx, `UPDATE `+table+` SET `+set+` WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("anonymise %s: %w", table, err)
	}
	return res.RowsAffected()
}

// Strings runs a query whose first column is text and returns its values.
func (s *DB) Strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v.String)
	}
	return out, rows.Err()
}

// IDs runs a query whose first column is an integer and returns its values.
func (s *DB) IDs(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// EachBlob calls fn with the key and the bytes of every row of table
// (the session store's rows, whose owner is inside the encoded data).
func (s *DB) EachBlob(ctx context.Context, table, keyColumn, dataColumn string, fn func(key string, data []byte) error) error {
	rows, err := s.query(ctx, `SELECT `+keyColumn+`, `+dataColumn+` FROM `+table)
	if err != nil {
		return err
	}
	type row struct {
		key  string
		data []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.data); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		if err := fn(r.key, r.data); err != nil {
			return err
		}
	}
	return nil
}

// ReservedNameHash is what reserved_usernames keeps of a username: a
// SHA-256 of its look-alike skeleton, so that neither the name nor a
// look-alike can be registered again, and the name itself is not kept.
func ReservedNameHash(username string) string {
	sum := sha256.Sum256([]byte(chorus.UsernameSkeleton(username)))
	return hex.EncodeToString(sum[:])
}

// ReserveUsername keeps username from being registered again.
func (tx *Tx) ReserveUsername(ctx context.Context, username string) error {
	_, err := tx.exec(ctx, `INSERT INTO reserved_usernames (skeleton_hash, reserved_at) VALUES (?, ?) ON CONFLICT (skeleton_hash) DO NOTHING`,
		ReservedNameHash(username), tx.Now)
	return err
}

// usernameReserved reports whether username belongs to an erased account
// whose name the site keeps reserved.
func (tx *Tx) usernameReserved(ctx context.Context, username string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM reserved_usernames WHERE skeleton_hash = ?`, ReservedNameHash(username)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return n > 0, err
}

// CompactSearchIndex merges SQLite's full-text index into one segment, so
// that the words of deleted documents leave its storage, not only its
// answers. PostgreSQL needs nothing: its index rows go with their table's.
func (s *DB) CompactSearchIndex(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	_, err := s.exec(ctx, `INSERT INTO search_fts (search_fts) VALUES ('optimize')`)
	return err
}
