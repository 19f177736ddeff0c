package auth

import (
	"errors"
	"strings"
	"testing"
)

// An account made through a sign-in provider has no password hash: no
// password opens it, and checking one is a plain mismatch, not a fault.
func TestEmptyHashNeverMatches(t *testing.T) {
	for _, pw := range []string{"", "anything at all", providerPlaceholder} {
		if err := CheckPassword("", pw); !errors.Is(err, ErrMismatch) {
			t.Errorf("CheckPassword(\"\", %q) = %v, want ErrMismatch", pw, err)
		}
	}
}

func TestProviderSignUpValidate(t *testing.T) {
	for _, tc := range []struct {
		in     ProviderSignUp
		fields []string
	}{
		{ProviderSignUp{" ana@example.org ", "ana.lima"}, nil},
		{ProviderSignUp{"", ""}, []string{"email", "username"}},
		{ProviderSignUp{"ana@example.org", "<b>x</b>"}, []string{"username"}},
		{ProviderSignUp{"ana@example.org", "a"}, []string{"username"}},
		{ProviderSignUp{"not an email", "ana"}, []string{"email"}},
		{ProviderSignUp{"ana@example.org", "an\xffa"}, nil}, // invalid UTF-8: a summary message
	} {
		in := tc.in
		err := in.Validate()
		if err != nil && strings.Contains(err.Error(), "password") {
			t.Errorf("%+v: a provider sign-up has no password field: %v", tc.in, err)
		}
		if tc.in.Username == "an\xffa" {
			if err == nil || !strings.Contains(err.Error(), "not valid text") {
				t.Errorf("invalid UTF-8: %v", err)
			}
			continue
		}
		if len(tc.fields) == 0 {
			if err != nil || in.Email != "ana@example.org" {
				t.Errorf("%+v: %v (email normalised to %q)", tc.in, err, in.Email)
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
