package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the expected parameters", h)
	}
	if err := CheckPassword(h, "correct horse"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := CheckPassword(h, "correct horsf"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestSignUpValidate(t *testing.T) {
	for _, tc := range []struct {
		in     SignUp
		fields []string
	}{
		{SignUp{"ana@example.org", "ana", "plum velvet orbit"}, nil},
		{SignUp{"", "", ""}, []string{"email", "username", "password"}},
		{SignUp{"not-an-email", "a", "short"}, []string{"email", "username", "password"}},
		{SignUp{"x@example.org", "<script>", "plum velvet orbit"}, []string{"username"}},
		{SignUp{"Ana <ana@example.org>", "Zoë_2", "plum velvet orbit"}, []string{"email"}},
	} {
		err := tc.in.Validate()
		if len(tc.fields) == 0 {
			if err != nil {
				t.Errorf("%+v: %v", tc.in, err)
			}
			continue
		}
		for _, f := range tc.fields {
			if err == nil || !strings.Contains(err.Error(), f+":") {
				t.Errorf("%+v: want an error on %s, got %v", tc.in, f, err)
			}
		}
	}
}

func TestUsernameProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"Zoë_93", true},
		{"Влад", true},
		{"山田太郎", true},
		{"たなかさん", true},
		{"admin", false},
		{"ADMIN", false},
		{"adrnin", false},      // "rn" looks like "m": a look-alike of a reserved name
		{"аdmin", false},       // Cyrillic а: mixed alphabets
		{"pаypal", false},      // Cyrillic а among Latin letters
		{"settings", false},    // a page of the site
		{"bob<script>", false}, // not a name character
		{"a b", false},
		{"adm1n", false},  // reserved, "1" read as "i"
		{"ᴀᴅᴍɪɴ", false},  // small capitals
		{"admin_", false}, // separators do not make a new name
		{"r00t", false},
		{"root2", false},
		{"-alice", false},
		{"modest", true}, // "mod" is reserved, words that start with it are not
		{"lima", true},
		{"9lives", true},
	} {
		got := UsernameProblem(tc.name) == ""
		if got != tc.ok {
			t.Errorf("UsernameProblem(%q) = %q, want ok=%v", tc.name, UsernameProblem(tc.name), tc.ok)
		}
	}
}

func TestCheckNewPassword(t *testing.T) {
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"a long password", true},
		{"correct horse battery", true},
		{"short", false},
		{"password1", false},
		{"qwertyuiop", false},
		{"iloveyou123", false},
		{"alice12345", false}, // the member's own name
		{strings.Repeat("ab", 40), false},
		{strings.Repeat("x", 1025), false},
		{"Zq8#mV2$uL9!wE4r" + strings.Repeat("é", 100), true},
	} {
		got := CheckNewPassword(tc.password, "alice@example.org", "alice") == ""
		if got != tc.ok {
			t.Errorf("CheckNewPassword(%.30q) = %q, want ok=%v", tc.password, CheckNewPassword(tc.password, "alice@example.org", "alice"), tc.ok)
		}
	}
}

func TestPasswordsAreNormalised(t *testing.T) {
	composed, decomposed := "caf\u00e9 au lait", "cafe\u0301 au lait"
	hash, err := HashPassword(composed)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPassword(hash, decomposed); err != nil {
		t.Fatalf("the same password typed with a combining accent: %v", err)
	}
	if err := CheckPassword(hash, "cafe au lait"); err != ErrMismatch {
		t.Fatalf("another password: %v", err)
	}
}
