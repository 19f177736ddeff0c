package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// TokenPurpose says what a member token proves when it is used. A token
// of one purpose is never accepted for another.
type TokenPurpose string

// The purposes of the links Chorus sends by email.
const (
	// PurposeVerifyEmail proves that the member reads the address the
	// account was created with (member_tokens.email).
	PurposeVerifyEmail TokenPurpose = "verify_email"
	// PurposeResetPassword lets whoever reads the member's mail set a new
	// password.
	PurposeResetPassword TokenPurpose = "reset_password"
	// PurposeChangeEmail proves that the member reads the new address
	// (member_tokens.email) they asked to change to.
	PurposeChangeEmail TokenPurpose = "change_email"
)

// ErrTokenUsed and ErrTokenExpired say why a token that exists was refused;
// a token that does not exist (or is for another purpose) is
// chorus.ErrNotFound.
var (
	ErrTokenUsed    = errors.New("this link was already used")
	ErrTokenExpired = errors.New("this link has expired")
)

// MemberToken is a single-use, short-lived token sent to a member by
// email. Only the SHA-256 of the token is stored, so that a copy of the
// database cannot be used to take over accounts; a plain hash is enough
// for a random secret of 112 bits or more (OWASP ASVS 5.0 V6.5.2).
type MemberToken struct {
	MemberID  int64
	Purpose   TokenPurpose
	Email     string // the address the link was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
}

// tokenBytes is the entropy of a token: 256 bits, from the system's
// cryptographic random source (ASVS 5.0 V6.5.3).
const tokenBytes = 32

// hashToken is what member_tokens.token_hash holds: the hex SHA-256 of the
// token. No salt or stretching is needed: the token is random, not chosen
// by a person (ASVS 5.0 V6.5.2).
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// plausibleToken refuses, without touching the database, what cannot be a
// token: tokens are 43 characters of unpadded base64url.
func plausibleToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// CreateMemberToken stores a new token for the member and returns it: 43
// characters of base64url, to be put in a link. It expires ttl after
// tx.Now. email is the address the link is sent to.
func (tx *Tx) CreateMemberToken(ctx context.Context, memberID int64, purpose TokenPurpose, email string, ttl time.Duration) (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	_, err := tx.exec(ctx, `INSERT INTO member_tokens (token_hash, member_id, purpose, email, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, hashToken(token), memberID, string(purpose), email, tx.Now, tx.Now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return token, nil
}

const tokenColumns = `member_id, purpose, email, created_at, expires_at, used_at`

func scanToken(row rowScanner) (MemberToken, error) {
	var t MemberToken
	var purpose string
	var used sql.NullTime
	if err := row.Scan(&t.MemberID, &purpose, &t.Email, &t.CreatedAt, &t.ExpiresAt, &used); err != nil {
		return t, err
	}
	t.Purpose = TokenPurpose(purpose)
	t.UsedAt = used.Time
	return t, nil
}

// MemberToken returns the token without using it: a page that only shows
// a confirmation button must not spend the link, since mail scanners fetch
// links before the member does. It fails with chorus.ErrNotFound,
// ErrTokenUsed or ErrTokenExpired.
func (s *DB) MemberToken(ctx context.Context, token string, purpose TokenPurpose) (MemberToken, error) {
	return memberToken(ctx, s.db, s.dialect, s.now().UTC(), token, purpose)
}

func memberToken(ctx context.Context, q querier, d Dialect, now time.Time, token string, purpose TokenPurpose) (MemberToken, error) {
	if !plausibleToken(token) {
		return MemberToken{}, fmt.Errorf("token: %w", chorus.ErrNotFound)
	}
	t, err := scanToken(q.QueryRowContext(ctx, rebind(d, `SELECT `+tokenColumns+` FROM member_tokens
		WHERE token_hash = ? AND purpose = ?`), hashToken(token), string(purpose)))
	switch {
	case err != nil:
		return t, notFound(err, "token")
	case !t.UsedAt.IsZero():
		return t, ErrTokenUsed
	case !now.Before(t.ExpiresAt):
		return t, ErrTokenExpired
	}
	return t, nil
}

// UseMemberToken spends the token and every other unused token of the
// same member and purpose (a newer link makes older ones useless, and one
// use is enough), and returns it. It fails like DB.MemberToken; of two
// requests racing with the same token, exactly one succeeds.
func (tx *Tx) UseMemberToken(ctx context.Context, token string, purpose TokenPurpose) (MemberToken, error) {
	if !plausibleToken(token) {
		return MemberToken{}, fmt.Errorf("token: %w", chorus.ErrNotFound)
	}
	t, err := scanToken(tx.queryRow(ctx, `UPDATE member_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+tokenColumns, tx.Now, hashToken(token), string(purpose), tx.Now))
	if errors.Is(err, sql.ErrNoRows) {
		// Say why: unknown, used or expired.
		if t, err := memberToken(ctx, tx.tx, tx.dialect, tx.Now, token, purpose); err != nil {
			return t, err
		}
		return MemberToken{}, fmt.Errorf("token: %w", chorus.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("use token: %w", err)
	}
	return t, tx.VoidMemberTokens(ctx, t.MemberID, purpose)
}

// VoidMemberTokens marks every unused token of the member for the given
// purposes as used, so that no link already sent works any more (after a
// password reset, a pending email change must not outlive it).
func (tx *Tx) VoidMemberTokens(ctx context.Context, memberID int64, purposes ...TokenPurpose) error {
	for _, p := range purposes {
		if _, err := tx.exec(ctx, `UPDATE member_tokens SET used_at = ? WHERE member_id = ? AND purpose = ? AND used_at IS NULL`,
			tx.Now, memberID, string(p)); err != nil {
			return fmt.Errorf("void tokens: %w", err)
		}
	}
	return nil
}

// TokenHistory is how many tokens of one purpose a member was sent since
// some time, and when the latest was sent (zero when none): what a limit
// on how often a link may be asked for is counted from.
type TokenHistory struct {
	Count  int
	Latest time.Time
}

// TokensSince returns the member's tokens of purpose created at or after
// since. It first locks the member's row, so that two requests of the same
// member counting at once (on PostgreSQL, where transactions run side by
// side) cannot both see room for one more; SQLite runs one writing
// transaction at a time anyway.
func (tx *Tx) TokensSince(ctx context.Context, memberID int64, purpose TokenPurpose, since time.Time) (TokenHistory, error) {
	if _, err := tx.exec(ctx, `UPDATE members SET id = id WHERE id = ?`, memberID); err != nil {
		return TokenHistory{}, fmt.Errorf("lock member: %w", err)
	}
	var h TokenHistory
	var latest sql.NullTime
	// MAX over a timestamp comes back as text on SQLite; order and take
	// one row instead, which both databases return typed.
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM member_tokens WHERE member_id = ? AND purpose = ? AND created_at >= ?`,
		memberID, string(purpose), since).Scan(&h.Count)
	if err != nil {
		return h, err
	}
	err = tx.queryRow(ctx, `SELECT created_at FROM member_tokens WHERE member_id = ? AND purpose = ?
		ORDER BY created_at DESC LIMIT 1`, memberID, string(purpose)).Scan(&latest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, err
	}
	h.Latest = latest.Time
	return h, nil
}
