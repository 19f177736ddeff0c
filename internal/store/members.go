package store

import (
	"context"
	"fmt"

	"chorus/internal/chorus"
)

// NewMember is what sign-up stores. PasswordHash is already hashed.
type NewMember struct {
	Email, Username, PasswordHash string
}

// CreateMember inserts a member. A taken email or username is an
// *chorus.InvalidError naming the field.
func (tx *Tx) CreateMember(ctx context.Context, m NewMember) (chorus.Member, error) {
	emailKey, userKey := chorus.FoldKey(m.Email), chorus.FoldKey(m.Username)
	inv := &chorus.InvalidError{}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE email_key = ?`, emailKey).Scan(&n); err != nil {
		return chorus.Member{}, err
	} else if n > 0 {
		inv.Add("email", "An account with this email already exists. Log in instead, or use another address.")
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE username_key = ?`, userKey).Scan(&n); err != nil {
		return chorus.Member{}, err
	} else if n > 0 {
		inv.Add("username", "This username is taken. Please choose another.")
	}
	if err := inv.Err(); err != nil {
		return chorus.Member{}, err
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO members (email, email_key, username, username_key, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Email, emailKey, m.Username, userKey, m.PasswordHash, tx.Now).Scan(&id)
	if isUniqueViolation(err) {
		return chorus.Member{}, &chorus.InvalidError{Message: "This email or username was just taken. Please choose another."}
	}
	if err != nil {
		return chorus.Member{}, fmt.Errorf("insert member: %w", err)
	}
	return chorus.Member{ID: id, Email: m.Email, Username: m.Username, CreatedAt: tx.Now}, nil
}

// MemberCredentials returns the member whose email or username is login,
// with their password hash, or ErrNotFound.
func (s *DB) MemberCredentials(ctx context.Context, login string) (chorus.Member, string, error) {
	if !storable(login) {
		return chorus.Member{}, "", fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	key := chorus.FoldKey(login)
	var m chorus.Member
	var hash string
	err := s.queryRow(ctx, `SELECT id, email, username, password_hash, created_at FROM members
		WHERE email_key = ? OR username_key = ?`, key, key).Scan(&m.ID, &m.Email, &m.Username, &hash, &m.CreatedAt)
	return m, hash, notFound(err, "member")
}

// Member returns the member with the given id, or ErrNotFound.
func (s *DB) Member(ctx context.Context, id int64) (chorus.Member, error) {
	var m chorus.Member
	err := s.queryRow(ctx, `SELECT id, email, username, created_at FROM members WHERE id = ?`, id).
		Scan(&m.ID, &m.Email, &m.Username, &m.CreatedAt)
	return m, notFound(err, "member")
}
