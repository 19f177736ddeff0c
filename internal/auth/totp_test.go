package auth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B, "12345678901234567890",
// in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestTOTPCodeRFC6238Vectors checks the codes against RFC 6238 Appendix B
// (the last six of its eight digits, as a six-digit code is the same value
// mod 10^6).
func TestTOTPCodeRFC6238Vectors(t *testing.T) {
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	} {
		got, err := TOTPCode(rfcSecret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.want {
			t.Errorf("code at %d = %q, %v; want %q", tc.unix, got, err, tc.want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	step := TOTPStep(now)
	codeAt := func(s int64) string {
		t.Helper()
		c, err := TOTPCode(rfcSecret, time.Unix(s*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name     string
		code     string
		lastStep int64
		want     int64
		err      error
	}{
		{"current step", codeAt(step), 0, step, nil},
		{"typed with a space", codeAt(step)[:3] + " " + codeAt(step)[3:], 0, step, nil},
		{"one step behind", codeAt(step - 1), 0, step - 1, nil},
		{"one step ahead", codeAt(step + 1), 0, step + 1, nil},
		{"two steps behind", codeAt(step - 2), 0, 0, ErrCodeWrong},
		{"two steps ahead", codeAt(step + 2), 0, 0, ErrCodeWrong},
		{"replayed step", codeAt(step), step, 0, ErrCodeUsed},
		{"older than the last used", codeAt(step - 1), step, 0, ErrCodeUsed},
		{"newer than the last used", codeAt(step + 1), step, step + 1, nil},
		{"not digits", "12a456", 0, 0, ErrCodeWrong},
		{"too short", "12345", 0, 0, ErrCodeWrong},
		{"empty", "", 0, 0, ErrCodeWrong},
		{"invalid UTF-8", "\xff\xfe12345", 0, 0, ErrCodeWrong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MatchTOTP(rfcSecret, tc.code, now, tc.lastStep)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("MatchTOTP(%q, last %d) = %d, %v; want %d, %v", tc.code, tc.lastStep, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestMatchTOTPEmptySecret: with no secret, even the code of the empty key
// (which anyone can compute) is refused.
func TestMatchTOTPEmptySecret(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	code, err := TOTPCode("", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MatchTOTP("", code, now, 0); !errors.Is(err, ErrCodeWrong) {
		t.Fatalf("the empty key's code was accepted: %v", err)
	}
}

func TestNewTOTPKey(t *testing.T) {
	k, err := NewTOTPKey("Chorus (music.example.org)", "ana")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Secret) != 32 { // 160 bits in base32 without padding
		t.Errorf("secret %q has %d characters, want 32", k.Secret, len(k.Secret))
	}
	u, err := url.Parse(k.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Chorus (music.example.org):ana" {
		t.Fatalf("URI %q: %v", k.URI, err)
	}
	q := u.Query()
	if q.Get("secret") != k.Secret || q.Get("issuer") != "Chorus (music.example.org)" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI parameters %v", q)
	}
	other, _ := NewTOTPKey("Chorus", "ana")
	if other.Secret == k.Secret {
		t.Error("two keys share a secret")
	}
	if _, err := NewTOTPKey("Chorus", "a:b"); err == nil {
		t.Error("an account name with a colon was accepted")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes()
	if len(codes) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 29 || strings.Count(c, "-") != 5 {
			t.Errorf("code %q is not six groups of four", c)
		}
		if seen[c] {
			t.Errorf("code %q twice", c)
		}
		seen[c] = true
		if hashes[i] != RecoveryCodeHash(c) || len(hashes[i]) != 64 || strings.Contains(hashes[i], c) {
			t.Errorf("hash of %q = %q", c, hashes[i])
		}
		// Typed in capitals, without hyphens, with spaces: the same code.
		typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
		if RecoveryCodeHash(typed) != hashes[i] {
			t.Errorf("%q typed as %q hashes differently", c, typed)
		}
	}
	for _, bad := range []string{"", "123456", strings.Repeat("u", 24), strings.Repeat("a", 25), "<script>alert(1)</script>", "\xff"} {
		if h := RecoveryCodeHash(bad); h != "" {
			t.Errorf("RecoveryCodeHash(%q) = %q, want \"\"", bad, h)
		}
	}
	// Letters read as digits are the digits: a code copied by hand still works.
	if RecoveryCodeHash("0000-1111-0000-1111-0000-1111") != RecoveryCodeHash("oooo-iiii-OOOO-llll-0000-1111") {
		t.Error("o, i and l are not read as 0 and 1")
	}
}
