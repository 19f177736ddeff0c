package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
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
	if !storable(id) {
		return MemberSession{}, fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	ms, err := scanMemberSession(s.queryRow(ctx, `SELECT `+memberSessionColumns+` FROM member_sessions WHERE id = ?`, id))
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

// SessionLimits are the two timeouts that end a login (OWASP ASVS 5.0
// V7.3.1 inactivity timeout, V7.3.2 absolute lifetime). A zero field
// means no limit of that kind.
type SessionLimits struct {
	// Idle ends a session this long after its last request (as recorded in
	// LastSeenAt, so up to SessionTouchInterval early).
	Idle time.Duration
	// Lifetime ends a session this long after the login, however active.
	Lifetime time.Duration
}

// expired reports whether ms no longer counts at now.
func (l SessionLimits) expired(ms MemberSession, now time.Time) bool {
	return (l.Idle > 0 && now.Sub(ms.LastSeenAt) > l.Idle) ||
		(l.Lifetime > 0 && now.Sub(ms.CreatedAt) > l.Lifetime)
}

// SessionTouchInterval is how stale LastSeenAt may be: ActiveMemberSession
// writes it at most this often, so a busy browser does not cost a write
// per request.
const SessionTouchInterval = time.Minute

const memberSessionColumns = `id, member_id, created_at, last_seen_at, authenticated_at, ip_prefix, browser, os, device`

func scanMemberSession(row rowScanner) (MemberSession, error) {
	var ms MemberSession
	err := row.Scan(&ms.ID, &ms.MemberID, &ms.CreatedAt, &ms.LastSeenAt, &ms.AuthenticatedAt, &ms.IPPrefix, &ms.Browser, &ms.OS, &ms.Device)
	return ms, err
}

// ActiveMemberSession returns the session with the given id when it still
// counts under lim, and records the request as its last activity when the
// recorded one is older than SessionTouchInterval. A session past either
// limit is deleted.
//
// Errors: ErrNotFound when the session was ended or has expired.
func (s *DB) ActiveMemberSession(ctx context.Context, id string, lim SessionLimits) (MemberSession, error) {
	if id == "" || !storable(id) {
		return MemberSession{}, fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	ms, err := s.MemberSession(ctx, id)
	if err != nil {
		return ms, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if lim.expired(ms, now) {
		if err := s.EndMemberSession(ctx, id); err != nil {
			return MemberSession{}, err
		}
		return MemberSession{}, fmt.Errorf("session expired: %w", chorus.ErrNotFound)
	}
	if now.Sub(ms.LastSeenAt) >= SessionTouchInterval {
		if _, err := s.exec(ctx, `UPDATE member_sessions SET last_seen_at = ? WHERE id = ?`, now, id); err != nil {
			return MemberSession{}, fmt.Errorf("record session activity: %w", err)
		}
		ms.LastSeenAt = now
	}
	return ms, nil
}

// ListMemberSessions returns the member's sessions that still count under
// lim, most recently active first, after deleting those that do not.
func (s *DB) ListMemberSessions(ctx context.Context, memberID int64, lim SessionLimits) ([]MemberSession, error) {
	var out []MemberSession
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.deleteExpiredSessions(ctx, lim, `member_id = ?`, memberID); err != nil {
			return err
		}
		rows, err := tx.query(ctx, `SELECT `+memberSessionColumns+` FROM member_sessions
			WHERE member_id = ? ORDER BY last_seen_at DESC, created_at DESC, id`, memberID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			ms, err := scanMemberSession(rows)
			if err != nil {
				return err
			}
			out = append(out, ms)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteExpiredMemberSessions deletes every member's sessions that no
// longer count under lim, so what they record (network, device) is not
// kept past the login's end. It returns how many it deleted.
func (s *DB) DeleteExpiredMemberSessions(ctx context.Context, lim SessionLimits) (int, error) {
	var n int
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.deleteExpiredSessions(ctx, lim, `1 = 1`)
		return err
	})
	return n, err
}

// deleteExpiredSessions deletes the sessions matching where (a condition
// with its args) that are past a limit of lim at tx.Now.
func (tx *Tx) deleteExpiredSessions(ctx context.Context, lim SessionLimits, where string, args ...any) (int, error) {
	var cond []string
	if lim.Idle > 0 {
		cond = append(cond, `last_seen_at < ?`)
		args = append(args, tx.Now.Add(-lim.Idle))
	}
	if lim.Lifetime > 0 {
		cond = append(cond, `created_at < ?`)
		args = append(args, tx.Now.Add(-lim.Lifetime))
	}
	if len(cond) == 0 {
		return 0, nil
	}
	res, err := tx.exec(ctx, `DELETE FROM member_sessions WHERE `+where+` AND (`+strings.Join(cond, ` OR `)+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EndSessionOfMember ends one session of the member.
//
// Errors: ErrNotFound when the member has no such session (it was ended
// already, or it is someone else's).
func (s *DB) EndSessionOfMember(ctx context.Context, memberID int64, id string) error {
	if !storable(id) {
		return fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	res, err := s.exec(ctx, `DELETE FROM member_sessions WHERE id = ? AND member_id = ?`, id, memberID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	return nil
}

// MarkSessionAuthenticated records that the member proved who they are
// again in this session (a password or second factor entered for a
// sensitive change), at tx.Now.
//
// Errors: ErrNotFound when the session was ended.
func (tx *Tx) MarkSessionAuthenticated(ctx context.Context, id string) error {
	res, err := tx.exec(ctx, `UPDATE member_sessions SET authenticated_at = ? WHERE id = ?`, tx.Now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	return nil
}

// SinceAuthenticated returns how long ago, by the database's clock, the
// member last proved who they are in the session id: at login, or at the
// last MarkSessionAuthenticated. "Recent login" checks compare it with
// their own window (OWASP ASVS 5.0 V7.5.1, V7.5.3).
//
// Errors: ErrNotFound when the session was ended.
func (s *DB) SinceAuthenticated(ctx context.Context, id string) (time.Duration, error) {
	ms, err := s.MemberSession(ctx, id)
	if err != nil {
		return 0, err
	}
	return max(0, s.now().Truncate(time.Microsecond).Sub(ms.AuthenticatedAt)), nil
}
