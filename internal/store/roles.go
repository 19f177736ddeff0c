package store

import (
	"context"
	"fmt"
	"strings"

	"chorus/internal/chorus"
)

// SetRole gives the member a role. Taking the admin role from the last
// admin is refused (*chorus.InvalidError), so the site always has one.
func (tx *Tx) SetRole(ctx context.Context, memberID int64, role chorus.Role) error {
	m, err := tx.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if m.Role == chorus.RoleAdmin && role != chorus.RoleAdmin {
		if err := tx.keepAnAdmin(ctx, memberID); err != nil {
			return err
		}
	}
	_, err = tx.exec(ctx, `UPDATE members SET role = ? WHERE id = ?`, string(role), memberID)
	return err
}

// keepAnAdmin refuses a change that would leave no active admin. On
// PostgreSQL the active admins' rows are locked, so two admins demoting or
// suspending each other at once are serialised and the second sees the
// first's change (SQLite's write transactions are serial already).
func (tx *Tx) keepAnAdmin(ctx context.Context, memberID int64) error {
	rows, err := tx.query(ctx, `SELECT id FROM members WHERE role = 'admin' AND suspended_at IS NULL ORDER BY id`+tx.forUpdate())
	if err != nil {
		return err
	}
	others := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if id != memberID {
			others++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if others == 0 {
		return chorus.Invalid("This is the only admin. Make another member admin first, so the site keeps one.")
	}
	return nil
}

// BecomeArtist gives a member who publishes music the artist role; members
// with a higher role keep theirs.
func (tx *Tx) BecomeArtist(ctx context.Context, memberID int64) error {
	_, err := tx.exec(ctx, `UPDATE members SET role = 'artist' WHERE id = ? AND role = 'member'`, memberID)
	return err
}

// Suspend stops the member from logging in and ends every session they
// have. reason is shown to them. The last active admin cannot be suspended.
func (tx *Tx) Suspend(ctx context.Context, memberID int64, reason string) error {
	m, err := tx.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if m.Role == chorus.RoleAdmin {
		if err := tx.keepAnAdmin(ctx, memberID); err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `UPDATE members SET suspended_at = ?, suspended_reason = ? WHERE id = ?`, tx.Now, reason, memberID); err != nil {
		return err
	}
	_, err = tx.EndMemberSessions(ctx, memberID, "")
	return err
}

// Unsuspend lets a suspended member log in again.
func (tx *Tx) Unsuspend(ctx context.Context, memberID int64) error {
	_, err := tx.exec(ctx, `UPDATE members SET suspended_at = NULL, suspended_reason = '' WHERE id = ?`, memberID)
	return err
}

// MemberFilter selects members for the admin listing.
type MemberFilter struct {
	// Query matches the start of a username or email, case-insensitively.
	Query string
	Role  chorus.Role // "" for every role
	// Suspended keeps only suspended members.
	Suspended bool
	Limit     int // at most 500; 0 means 50
	Offset    int
}

// Members lists members, newest first, and how many match in all.
func (s *DB) Members(ctx context.Context, f MemberFilter) ([]chorus.Member, int, error) {
	where, args := "1 = 1", []any{}
	if f.Query != "" {
		if !storable(f.Query) {
			return nil, 0, nil
		}
		key := chorus.FoldKey(f.Query)
		where += ` AND (username_key LIKE ? ESCAPE '\' OR email_key LIKE ? ESCAPE '\')`
		args = append(args, likePrefix(key), likePrefix(key))
	}
	if f.Role != "" {
		where += ` AND role = ?`
		args = append(args, string(f.Role))
	}
	if f.Suspended {
		where += ` AND suspended_at IS NOT NULL`
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	rows, err := s.query(ctx, `SELECT `+memberColumns+` FROM members WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []chorus.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// MemberByUsername returns the member with that username (compared by its
// key), or ErrNotFound.
func (s *DB) MemberByUsername(ctx context.Context, username string) (chorus.Member, error) {
	if !storable(username) {
		return chorus.Member{}, fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE username_key = ?`, chorus.UsernameKey(username)))
	return m, notFound(err, "member")
}

// likePrefix is a LIKE pattern matching strings that start with s, with
// LIKE's own wildcards in s escaped.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
