package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The TOTP parameters every authenticator app understands: HMAC-SHA-1,
// six digits, a 30-second time step (RFC 6238 §4 and §5.2, the defaults of
// the otpauth:// Key URI format).
const (
	TOTPPeriod = 30 * time.Second
	totpDigits = otp.DigitsSix
	// totpSecretBytes is 160 bits, the shared-secret length RFC 4226 §4
	// (requirement R6) recommends.
	totpSecretBytes = 20
	// totpSkew is how many steps before and after the current one are
	// accepted, for clocks that drift and codes typed slowly (RFC 6238
	// §5.2 recommends at most one).
	totpSkew = 1
)

var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// Errors of MatchTOTP.
var (
	// ErrCodeWrong: the code is not the one of any accepted time step.
	ErrCodeWrong = errors.New("code does not match")
	// ErrCodeUsed: the code is right but its time step was already used;
	// RFC 6238 §5.2 forbids accepting it twice.
	ErrCodeUsed = errors.New("code already used")
)

// TOTPKey is a new shared secret with the otpauth:// URI that carries it to
// an authenticator app.
type TOTPKey struct {
	// Secret is the key in base32 without padding (RFC 4648 §6), as typed
	// by hand into an app.
	Secret string
	// URI is the otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=... Key URI
	// (the format defined by Google Authenticator and followed by every app).
	URI string
}

// NewTOTPKey makes a random 160-bit secret (crypto/rand: OWASP ASVS 5.0
// V6.5.3) for account at issuer. Neither may contain a colon, which the Key
// URI format reserves as their separator.
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	if strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return TOTPKey{}, fmt.Errorf("totp key: issuer %q or account %q contains a colon", issuer, account)
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: totpOpts.Period,
		SecretSize: totpSecretBytes, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("totp key: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URI: k.URL()}, nil
}

// TOTPStep is the RFC 6238 §4.2 time step T of t: the number of whole
// 30-second periods since the Unix epoch.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode returns the six-digit code of secret at time t (RFC 6238 §4.2).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// IsTOTPCode reports whether code, once cleaned by CleanCode, has the
// shape of a TOTP code: six ASCII digits.
func IsTOTPCode(code string) bool {
	if len(code) != int(totpDigits) {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// MatchTOTP finds the time step whose code is code, among the step of now
// and one step either side, and which is later than lastStep (the step of
// the last code accepted, 0 for none). It returns that step, which the
// caller must record as the new lastStep before accepting the code;
// ErrCodeUsed when the code matches only steps already used (a replay,
// refused by RFC 6238 §5.2); ErrCodeWrong otherwise, and always for an
// empty secret. Codes are compared in constant time.
func MatchTOTP(secret, code string, now time.Time, lastStep int64) (int64, error) {
	code = CleanCode(code)
	if secret == "" || !IsTOTPCode(code) { // an empty key would make codes anyone can compute
		return 0, ErrCodeWrong
	}
	current := TOTPStep(now)
	used := false
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		want, err := TOTPCode(secret, time.Unix(step*int64(TOTPPeriod/time.Second), 0))
		if err != nil {
			return 0, fmt.Errorf("totp code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= lastStep {
			used = true
			continue
		}
		return step, nil
	}
	if used {
		return 0, ErrCodeUsed
	}
	return 0, ErrCodeWrong
}

// RecoveryCodeCount is how many recovery codes a member gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet is Crockford's base32 (lower case): no I, L, O or U, so
// a code copied by hand cannot be misread.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// recoveryChars is 24 characters of 5 bits: 120 bits, above the 112 bits
// for which OWASP ASVS 5.0 V6.5.2 allows a plain (unsalted) hash.
const recoveryChars = 24

// NewRecoveryCodes returns RecoveryCodeCount fresh single-use recovery
// codes (OWASP ASVS 5.0 "lookup secrets", V6.5), each shown as six groups
// of four characters ("7k3m-q9xd-…"), with the hash of each (RecoveryCodeHash),
// which is all that is stored.
func NewRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, recoveryChars)
		_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
		var s strings.Builder
		for i, x := range b {
			if i > 0 && i%4 == 0 {
				s.WriteByte('-')
			}
			s.WriteByte(recoveryAlphabet[x&31]) // 256 is a multiple of 32: no bias
		}
		codes = append(codes, s.String())
		hashes = append(hashes, RecoveryCodeHash(s.String()))
	}
	return codes, hashes
}

// IsRecoveryCode reports whether code, once cleaned by CleanCode, has the
// shape of a recovery code.
func IsRecoveryCode(code string) bool {
	return len(code) == recoveryChars && strings.Trim(code, recoveryAlphabet) == ""
}

// RecoveryCodeHash returns the SHA-256 of the cleaned code in hex (64
// characters), or "" when code is not shaped like a recovery code.
func RecoveryCodeHash(code string) string {
	code = CleanCode(code)
	if !IsRecoveryCode(code) {
		return ""
	}
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// CleanCode turns a code as typed into its canonical form: spaces and
// hyphens dropped, letters lower-cased, and the letters Crockford's base32
// reads as digits (i and l as 1, o as 0) replaced. Codes longer than 64
// bytes come back unchanged, to be refused.
func CleanCode(code string) string {
	if len(code) > 64 {
		return code
	}
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch r {
		case ' ', '-', '\t':
		case 'i', 'l':
			b.WriteByte('1')
		case 'o':
			b.WriteByte('0')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
