package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// TwoFactor is a member's two-factor authentication (TOTP, RFC 6238) state.
type TwoFactor struct {
	// Secret is the shared TOTP key in base32 (RFC 4648), "" when off.
	Secret string
	// EnabledAt is when the member turned it on; zero when off.
	EnabledAt time.Time
	// LastStep is the RFC 6238 time step of the last code accepted (0 for
	// none): a code of this step or an earlier one is refused (§5.2).
	LastStep int64
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
}

// TwoFactor returns the member's two-factor state, or ErrNotFound.
func (s *DB) TwoFactor(ctx context.Context, memberID int64) (TwoFactor, error) {
	var tf TwoFactor
	var enabled sql.NullTime
	err := s.queryRow(ctx, `SELECT totp_secret, totp_enabled_at, totp_last_step,
		(SELECT COUNT(*) FROM recovery_codes WHERE member_id = members.id AND used_at IS NULL)
		FROM members WHERE id = ?`, memberID).Scan(&tf.Secret, &enabled, &tf.LastStep, &tf.RecoveryCodesLeft)
	if enabled.Valid {
		tf.EnabledAt = enabled.Time
	}
	return tf, notFound(err, "member")
}

// EnableTOTP turns two-factor authentication on with secret, records step
// (the time step of the code that confirmed the secret) as used, and
// replaces the member's recovery codes by recoveryHashes. It returns
// ErrConflict when two-factor authentication is already on, and ErrNotFound
// for an unknown member.
func (tx *Tx) EnableTOTP(ctx context.Context, memberID int64, secret string, step int64, recoveryHashes []string) error {
	res, err := tx.exec(ctx, `UPDATE members SET totp_secret = ?, totp_enabled_at = ?, totp_last_step = ?
		WHERE id = ? AND totp_enabled_at IS NULL`, secret, tx.Now, step, memberID)
	if err != nil {
		return fmt.Errorf("enable two-factor: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := tx.Member(ctx, memberID); err != nil {
			return err
		}
		return fmt.Errorf("enable two-factor: already on: %w", chorus.ErrConflict)
	}
	return tx.ReplaceRecoveryCodes(ctx, memberID, recoveryHashes)
}

// DisableTOTP turns two-factor authentication off: the secret, the last
// used step and every recovery code are deleted. Turning it off when it is
// off is not an error.
func (tx *Tx) DisableTOTP(ctx context.Context, memberID int64) error {
	if _, err := tx.exec(ctx, `UPDATE members SET totp_secret = '', totp_enabled_at = NULL, totp_last_step = 0
		WHERE id = ?`, memberID); err != nil {
		return fmt.Errorf("disable two-factor: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE member_id = ?`, memberID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	return nil
}

// UseTOTPStep records step as the member's last used time step if it is
// later than the one recorded, and reports whether it was: false means the
// code was already used, or a later one was (a replay, RFC 6238 §5.2), or
// two-factor authentication is off. Two requests racing with the same code
// cannot both succeed: the comparison and the write are one statement.
func (tx *Tx) UseTOTPStep(ctx context.Context, memberID, step int64) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE members SET totp_last_step = ?
		WHERE id = ? AND totp_enabled_at IS NOT NULL AND totp_last_step < ?`, step, memberID, step)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UseRecoveryCode marks the member's unused recovery code with the given
// hash as used and reports whether there was one: each code works once
// (OWASP ASVS 5.0 V6.5.1).
func (tx *Tx) UseRecoveryCode(ctx context.Context, memberID int64, hash string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	res, err := tx.exec(ctx, `UPDATE recovery_codes SET used_at = ?
		WHERE member_id = ? AND code_hash = ? AND used_at IS NULL`, tx.Now, memberID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReplaceRecoveryCodes deletes the member's recovery codes, used or not,
// and stores hashes as the new ones.
func (tx *Tx) ReplaceRecoveryCodes(ctx context.Context, memberID int64, hashes []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM recovery_codes WHERE member_id = ?`, memberID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := tx.exec(ctx, `INSERT INTO recovery_codes (member_id, code_hash) VALUES (?, ?)`, memberID, h); err != nil {
			return fmt.Errorf("store recovery code: %w", err)
		}
	}
	return nil
}
