package store

import (
	"context"
	"fmt"
	"time"
)

// MemberSession is one logged-in browser: what the sessions page lists
// and what ending a session deletes. The session store keeps the cookie's
// data; this row says whose it is and whether it still counts.
type MemberSession struct {
	ID              string // random, kept in the session's data
	MemberID        int64
	CreatedAt       time.Time
	LastSeenAt      time.Time
	AuthenticatedAt time.Time // last time the member proved who they are
	// IPPrefix is the network the login came from, truncated (/24 IPv4,
	// /48 IPv6) so it locates a network, not a device.
	IPPrefix            string
	Browser, OS, Device string // parsed from the User-Agent; the raw string is not kept
}

// CreateMemberSession records a login.
func (tx *Tx) CreateMemberSession(ctx context.Context, ms MemberSession) error {
	_, err := tx.exec(ctx, `INSERT INTO member_sessions (id, member_id, created_at, last_seen_at, authenticated_at, ip_prefix, browser, os, device)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms.ID, ms.MemberID, tx.Now, tx.Now, tx.Now, ms.IPPrefix, ms.Browser, ms.OS, ms.Device)
	if err != nil {
		return fmt.Errorf("record session: %w", err)
	}
	return nil
}

// MemberSession returns the session with the given id, or ErrNotFound when
// it was ended.
func (s *DB) MemberSession(ctx context.Context, id string) (MemberSession, error) {
	var ms MemberSession
	err := s.queryRow(ctx, `SELECT id, member_id, created_at, last_seen_at, authenticated_at, ip_prefix, browser, os, device
		FROM member_sessions WHERE id = ?`, id).
		Scan(&ms.ID, &ms.MemberID, &ms.CreatedAt, &ms.LastSeenAt, &ms.AuthenticatedAt, &ms.IPPrefix, &ms.Browser, &ms.OS, &ms.Device)
	return ms, notFound(err, "session")
}

// EndMemberSessions ends every session of the member except keep ("" ends
// them all) and returns how many it ended.
func (s *DB) EndMemberSessions(ctx context.Context, memberID int64, keep string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM member_sessions WHERE member_id = ? AND id <> ?`, memberID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EndMemberSessions is DB.EndMemberSessions inside a transaction.
func (tx *Tx) EndMemberSessions(ctx context.Context, memberID int64, keep string) (int, error) {
	res, err := tx.exec(ctx, `DELETE FROM member_sessions WHERE member_id = ? AND id <> ?`, memberID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EndMemberSession ends one session; ending one already ended is not an error.
func (s *DB) EndMemberSession(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM member_sessions WHERE id = ?`, id)
	return err
}
