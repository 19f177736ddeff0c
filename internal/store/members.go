package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// NewMember is what sign-up stores. PasswordHash is already hashed, or ""
// for an account made through a sign-in provider.
type NewMember struct {
	Email, Username, PasswordHash string
	// Role defaults to chorus.RoleMember.
	Role chorus.Role
	// EmailVerified marks the address as already proved (a provider that
	// vouches for it, or an admin creating the account).
	EmailVerified bool
}

// memberColumns are selected by every query that returns a chorus.Member;
// scanMember reads them in this order.
const memberColumns = `id, email, username, role, email_verified_at, suspended_at, suspended_reason,
	totp_enabled_at, password_hash <> '', created_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanMember(row rowScanner, extra ...any) (chorus.Member, error) {
	var m chorus.Member
	var role string
	var verified, suspended, totp sql.NullTime
	dest := append([]any{&m.ID, &m.Email, &m.Username, &role, &verified, &suspended, &m.SuspendedReason,
		&totp, &m.HasPassword, &m.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return m, err
	}
	m.Role = chorus.Role(role)
	m.EmailVerified, m.Suspended, m.TOTP = verified.Valid, suspended.Valid, totp.Valid
	return m, nil
}

// CreateMember inserts a member. A taken email or username is an
// *chorus.InvalidError naming the field.
func (tx *Tx) CreateMember(ctx context.Context, m NewMember) (chorus.Member, error) {
	emailKey, userKey := chorus.FoldKey(m.Email), chorus.UsernameKey(m.Username)
	inv := &chorus.InvalidError{}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE email_key = ?`, emailKey).Scan(&n); err != nil {
		return chorus.Member{}, err
	} else if n > 0 {
		inv.Add("email", "An account with this email already exists. Log in instead, or use another address.")
	}
	skeleton := chorus.UsernameSkeleton(m.Username)
	var taken string
	err := tx.queryRow(ctx, `SELECT username FROM members WHERE username_key = ? OR username_skeleton = ? LIMIT 1`, userKey, skeleton).Scan(&taken)
	switch {
	case err == nil && chorus.UsernameKey(taken) == userKey:
		inv.Add("username", "This username is taken. Please choose another.")
	case err == nil:
		inv.Add("username", fmt.Sprintf("This username looks too much like %q, which is taken, so others could mistake one for the other. Please choose another.", taken))
	case !errors.Is(err, sql.ErrNoRows):
		return chorus.Member{}, err
	}
	if _, taken := inv.Fields["username"]; !taken {
		reserved, err := tx.usernameReserved(ctx, m.Username)
		if err != nil {
			return chorus.Member{}, err
		}
		if reserved {
			inv.Add("username", "This username is taken. Please choose another.")
		}
	}
	if err := inv.Err(); err != nil {
		return chorus.Member{}, err
	}
	if m.Role == "" {
		m.Role = chorus.RoleMember
	}
	var verified *time.Time
	if m.EmailVerified {
		verified = &tx.Now
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO members (email, email_key, username, username_key, username_skeleton, password_hash, role, email_verified_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Email, emailKey, m.Username, userKey, skeleton, m.PasswordHash, string(m.Role), verified, tx.Now).Scan(&id)
	if isUniqueViolation(err) {
		return chorus.Member{}, &chorus.InvalidError{Message: "This email or username was just taken. Please choose another."}
	}
	if err != nil {
		return chorus.Member{}, fmt.Errorf("insert member: %w", err)
	}
	return chorus.Member{ID: id, Email: m.Email, Username: m.Username, Role: m.Role, EmailVerified: m.EmailVerified,
		HasPassword: m.PasswordHash != "", CreatedAt: tx.Now}, nil
}

// MemberCredentials returns the member whose email or username is login,
// with their password hash ("" when the account has none), or ErrNotFound.
func (s *DB) MemberCredentials(ctx context.Context, login string) (chorus.Member, string, error) {
	if !storable(login) {
		return chorus.Member{}, "", fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	var hash string
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberColumns+`, password_hash FROM members
		WHERE email_key = ? OR username_key = ?`, chorus.FoldKey(login), chorus.UsernameKey(login)), &hash)
	return m, hash, notFound(err, "member")
}

// PasswordHash returns the member's password hash, "" when there is none.
func (s *DB) PasswordHash(ctx context.Context, memberID int64) (string, error) {
	var hash string
	err := s.queryRow(ctx, `SELECT password_hash FROM members WHERE id = ?`, memberID).Scan(&hash)
	return hash, notFound(err, "member")
}

// Member returns the member with the given id, or ErrNotFound.
func (s *DB) Member(ctx context.Context, id int64) (chorus.Member, error) {
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
	return m, notFound(err, "member")
}

// Member returns the member with the given id inside tx, or ErrNotFound.
func (tx *Tx) Member(ctx context.Context, id int64) (chorus.Member, error) {
	m, err := scanMember(tx.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
	return m, notFound(err, "member")
}

// MemberByLogin returns the member whose email or username is login, or ErrNotFound.
func (s *DB) MemberByLogin(ctx context.Context, login string) (chorus.Member, error) {
	m, _, err := s.MemberCredentials(ctx, login)
	return m, err
}
