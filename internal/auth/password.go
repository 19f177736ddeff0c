// Package auth holds how Chorus checks who someone is: password hashing
// and the rules for credentials.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Argon2id parameters from the OWASP Password Storage Cheat Sheet
// (m = 19 MiB, t = 2, p = 1), which meets RFC 9106 §4's second recommended
// option's intent on a memory-constrained server.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	saltLen        = 16
)

// ErrMismatch is returned by CheckPassword when the password is wrong.
var ErrMismatch = errors.New("password does not match")

// HashPassword returns an argon2id hash of password in the PHC string
// format: $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH (base64, no padding).
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(normalisePassword(password)), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword compares password with a hash made by HashPassword, in
// constant time. It returns ErrMismatch for a wrong password, and for an
// empty hash (an account made through a sign-in provider has no password,
// so no password opens it), and another error for a malformed hash.
func CheckPassword(hash, password string) error {
	if hash == "" {
		DummyCheck(password) // as long as a real check: no hint that the account has no password
		return ErrMismatch
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("unsupported password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("unsupported argon2 version")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return fmt.Errorf("argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return err
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(normalisePassword(password)), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return nil
	}
	// Hashes made before passwords were normalised hold the bytes as typed.
	if normalisePassword(password) != password {
		got = argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
		if subtle.ConstantTimeCompare(got, want) == 1 {
			return nil
		}
	}
	return ErrMismatch
}

// normalisePassword applies Unicode NFKC before hashing, so that "é" typed
// as one character or as "e" and an accent is the same password on every
// keyboard (NIST SP 800-63B §5.1.1.2).
func normalisePassword(password string) string { return norm.NFKC.String(password) }

// DummyCheck spends the time of one password check, so that a login for
// an unknown account takes as long as one with a wrong password.
func DummyCheck(password string) {
	_ = argon2.IDKey([]byte(password), make([]byte, saltLen), argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
}
