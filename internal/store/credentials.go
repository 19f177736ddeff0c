package store

import (
	"context"
	"database/sql"
	"fmt"

	"chorus/internal/chorus"
)

// emailTakenMessage is what a member changing their address sees when the
// new one belongs to another account.
const emailTakenMessage = "Another account uses this address. Please choose another."

// MemberByEmail returns the member whose email is email (compared
// case-insensitively), or chorus.ErrNotFound. Unlike MemberByLogin it does
// not accept a username: the password reset form asks for an address.
func (s *DB) MemberByEmail(ctx context.Context, email string) (chorus.Member, error) {
	if !storable(email) {
		return chorus.Member{}, fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE email_key = ?`, chorus.FoldKey(email)))
	return m, notFound(err, "member")
}

// EmailTaken reports whether another member than memberID uses email.
func (s *DB) EmailTaken(ctx context.Context, email string, memberID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE email_key = ? AND id <> ?`, chorus.FoldKey(email), memberID).Scan(&n)
	return n > 0, err
}

// SetMemberPassword replaces the member's password hash (already hashed
// with auth.HashPassword) and records when it changed.
func (tx *Tx) SetMemberPassword(ctx context.Context, memberID int64, hash string) error {
	res, err := tx.exec(ctx, `UPDATE members SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, tx.Now, memberID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return oneRow(res, "member")
}

// MarkEmailVerified records that the member proved they read email, which
// must still be the member's address: a link sent to an address the
// account has since left proves nothing about the new one, and is an
// *chorus.InvalidError. Verifying again is not an error.
func (tx *Tx) MarkEmailVerified(ctx context.Context, memberID int64, email string) error {
	var key string
	var verified sql.NullTime
	err := tx.queryRow(ctx, `SELECT email_key, email_verified_at FROM members WHERE id = ?`, memberID).Scan(&key, &verified)
	if err != nil {
		return notFound(err, "member")
	}
	if key != chorus.FoldKey(email) {
		return chorus.Invalid("This link was sent to an address your account no longer uses. Ask for a new link from your account settings.")
	}
	if verified.Valid {
		return nil
	}
	_, err = tx.exec(ctx, `UPDATE members SET email_verified_at = ? WHERE id = ?`, tx.Now, memberID)
	return err
}

// ChangeMemberEmail gives the member a new address, already proved (the
// member followed a link sent to it), so it is marked verified. An address
// another member uses is an *chorus.InvalidError on field "email".
func (tx *Tx) ChangeMemberEmail(ctx context.Context, memberID int64, email string) error {
	key := chorus.FoldKey(email)
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE email_key = ? AND id <> ?`, key, memberID).Scan(&n); err != nil {
		return err
	}
	taken := &chorus.InvalidError{}
	taken.Add("email", emailTakenMessage)
	if n > 0 {
		return taken
	}
	res, err := tx.exec(ctx, `UPDATE members SET email = ?, email_key = ?, email_verified_at = ? WHERE id = ?`, email, key, tx.Now, memberID)
	if isUniqueViolation(err) {
		return taken
	}
	if err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	return oneRow(res, "member")
}

// oneRow turns an update that matched no row into chorus.ErrNotFound.
func oneRow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, chorus.ErrNotFound)
	}
	return nil
}
