package auth

import (
	"errors"

	"chorus/internal/chorus"
)

// ProviderSignUp is the form that finishes a sign-up through a sign-in
// provider: the username the member chose and the email address, both
// mandatory as in SignUp. There is no password: the provider proves who
// the member is.
type ProviderSignUp struct {
	Email, Username string
}

// providerPlaceholder stands in for the password SignUp's rules expect; it
// is never stored, and passes any password rule.
const providerPlaceholder = "no password: signed up through a provider 7Hq!vR2#kLw9"

// Validate checks the form with exactly SignUp's rules for the email and
// username, by running them, so the two forms never drift apart. It
// returns an *chorus.InvalidError naming each bad field, or nil, and
// normalises Email and Username in place.
func (s *ProviderSignUp) Validate() error {
	form := SignUp{Email: s.Email, Username: s.Username, Password: providerPlaceholder}
	err := form.Validate()
	s.Email, s.Username = form.Email, form.Username
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		delete(inv.Fields, "password")
		return inv.Err()
	}
	return err
}
