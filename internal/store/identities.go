package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// Identity is an account at a third-party sign-in provider linked to a
// member. Only these fields are kept from the provider: what the member is
// shown before linking and sees in the settings.
type Identity struct {
	ID       int64
	MemberID int64
	// Provider is the provider's id in Chorus ("google", "facebook",
	// "twitter", "oidc"); Subject is the account's stable id there (the
	// OpenID Connect "sub" claim, the Facebook or X user id).
	Provider, Subject string
	Email             string
	// EmailVerified is true when the provider said it verified Email.
	EmailVerified bool
	DisplayName   string
	// AvatarURL is the address of the picture at the provider; the picture
	// itself is never fetched or stored.
	AvatarURL string
	CreatedAt time.Time
}

// ErrLastLoginMethod is returned by UnlinkIdentity when the identity is the
// member's only way to log in: no password and no other linked provider.
var ErrLastLoginMethod = errors.New("the only way to log in to this account")

// ErrIdentityTaken is returned by LinkIdentity when the provider account is
// already linked to another member, or the member already has an account
// of that provider linked.
var ErrIdentityTaken = errors.New("identity already linked")

const identityColumns = `id, member_id, provider, subject, email, email_verified, display_name, avatar_url, created_at`

func scanIdentity(row rowScanner) (Identity, error) {
	var i Identity
	err := row.Scan(&i.ID, &i.MemberID, &i.Provider, &i.Subject, &i.Email, &i.EmailVerified, &i.DisplayName, &i.AvatarURL, &i.CreatedAt)
	return i, err
}

// IdentityBySubject returns the identity of subject at provider, or
// ErrNotFound.
func (s *DB) IdentityBySubject(ctx context.Context, provider, subject string) (Identity, error) {
	if !storable(provider) || !storable(subject) {
		return Identity{}, fmt.Errorf("identity: %w", chorus.ErrNotFound)
	}
	i, err := scanIdentity(s.queryRow(ctx, `SELECT `+identityColumns+` FROM member_identities
		WHERE provider = ? AND subject = ?`, provider, subject))
	return i, notFound(err, "identity")
}

// Identities returns the member's linked identities, ordered by provider.
func (s *DB) Identities(ctx context.Context, memberID int64) ([]Identity, error) {
	rows, err := s.query(ctx, `SELECT `+identityColumns+` FROM member_identities
		WHERE member_id = ? ORDER BY provider, id`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// LinkIdentity links a provider account to i.MemberID and returns it with
// its id and creation time. A member has at most one account per provider,
// and a provider account belongs to at most one member: either way the
// error wraps ErrIdentityTaken.
func (tx *Tx) LinkIdentity(ctx context.Context, i Identity) (Identity, error) {
	if !storable(i.Provider + i.Subject + i.Email + i.DisplayName + i.AvatarURL) {
		return Identity{}, chorus.Invalid("The sign-in provider sent text that cannot be stored.")
	}
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM member_identities WHERE (provider = ? AND subject = ?) OR (provider = ? AND member_id = ?)`,
		i.Provider, i.Subject, i.Provider, i.MemberID).Scan(&n)
	if err != nil {
		return Identity{}, err
	}
	if n > 0 {
		return Identity{}, fmt.Errorf("link %s: %w", i.Provider, ErrIdentityTaken)
	}
	i.CreatedAt = tx.Now
	err = tx.queryRow(ctx, `INSERT INTO member_identities (member_id, provider, subject, email, email_verified, display_name, avatar_url, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		i.MemberID, i.Provider, i.Subject, i.Email, i.EmailVerified, i.DisplayName, i.AvatarURL, i.CreatedAt).Scan(&i.ID)
	if isUniqueViolation(err) {
		return Identity{}, fmt.Errorf("link %s: %w", i.Provider, ErrIdentityTaken)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("link %s: %w", i.Provider, err)
	}
	return i, nil
}

// RefreshIdentity replaces what is kept of a linked account (email, its
// verification, display name, avatar URL) with what the provider sent at
// the latest sign-in, so the settings show current data.
func (tx *Tx) RefreshIdentity(ctx context.Context, i Identity) error {
	if !storable(i.Email + i.DisplayName + i.AvatarURL) {
		return chorus.Invalid("The sign-in provider sent text that cannot be stored.")
	}
	_, err := tx.exec(ctx, `UPDATE member_identities SET email = ?, email_verified = ?, display_name = ?, avatar_url = ?
		WHERE id = ?`, i.Email, i.EmailVerified, i.DisplayName, i.AvatarURL, i.ID)
	return err
}

// UnlinkIdentity removes the member's account at provider and everything
// kept from it. It returns ErrNotFound when none is linked, and
// ErrLastLoginMethod when the member has no password, no passkey and no
// other linked provider, so that no account is left without a way to log in.
func (tx *Tx) UnlinkIdentity(ctx context.Context, memberID int64, provider string) error {
	// Two unlinks at once must not both see "another way is left".
	var hasPassword bool
	err := tx.queryRow(ctx, `SELECT password_hash <> '' FROM members WHERE id = ?`+tx.forUpdate(), memberID).Scan(&hasPassword)
	if err != nil {
		return notFound(err, "member")
	}
	var linked, others int
	err = tx.queryRow(ctx, `SELECT
		COUNT(CASE WHEN provider = ? THEN 1 END), COUNT(CASE WHEN provider <> ? THEN 1 END)
		FROM member_identities WHERE member_id = ?`, provider, provider, memberID).Scan(&linked, &others)
	if err != nil {
		return err
	}
	if linked == 0 {
		return fmt.Errorf("identity %s: %w", provider, chorus.ErrNotFound)
	}
	var passkeys int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM member_passkeys WHERE member_id = ?`, memberID).Scan(&passkeys); err != nil {
		return err
	}
	if !hasPassword && others == 0 && passkeys == 0 {
		return fmt.Errorf("unlink %s: %w", provider, ErrLastLoginMethod)
	}
	_, err = tx.exec(ctx, `DELETE FROM member_identities WHERE member_id = ? AND provider = ?`, memberID, provider)
	return err
}

// forUpdate locks the rows a SELECT reads until the transaction ends, on
// PostgreSQL. SQLite needs nothing: its write transactions take the
// database's write lock at BEGIN (see Tx), so they never interleave.
func (tx *Tx) forUpdate() string {
	if tx.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
