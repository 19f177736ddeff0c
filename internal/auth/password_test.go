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
		{SignUp{"ana@example.org", "ana", "longenough"}, nil},
		{SignUp{"", "", ""}, []string{"email", "username", "password"}},
		{SignUp{"not-an-email", "a", "short"}, []string{"email", "username", "password"}},
		{SignUp{"x@example.org", "<script>", "longenough"}, []string{"username"}},
		{SignUp{"Ana <ana@example.org>", "Zoë_2", "longenough"}, []string{"email"}},
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
