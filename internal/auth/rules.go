package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"chorus/internal/chorus"
)

// SignUp is the sign-up form. All three fields are mandatory.
type SignUp struct {
	Email, Username, Password string
}

// Validate checks the form and returns an *chorus.InvalidError naming each
// bad field, or nil. It also normalises Email and Username in place.
func (s *SignUp) Validate() error {
	inv := &chorus.InvalidError{}
	if !utf8.ValidString(s.Email+s.Username+s.Password) || strings.ContainsRune(s.Email+s.Username+s.Password, 0) {
		inv.Message = "The form contains characters that are not valid text. Please type it again."
	}
	s.Email = strings.TrimSpace(s.Email)
	s.Username = chorus.CleanText(s.Username, 64, false)
	checkEmail(inv, s.Email)
	checkUsername(inv, s.Username)
	switch n := utf8.RuneCountInString(s.Password); {
	case n == 0:
		inv.Add("password", "Choose a password.")
	case n < 8:
		inv.Add("password", "Use at least 8 characters.")
	case len(s.Password) > 1024:
		inv.Add("password", "Use at most 1024 bytes.")
	}
	return inv.Err()
}

// ProviderSignUp is the form that finishes a sign-up through a sign-in
// provider: no password (the provider proves who the member is), the
// username the member chose, and the email address, mandatory as in SignUp.
type ProviderSignUp struct {
	Email, Username string
}

// Validate checks the form with the same rules as SignUp.Validate and
// returns an *chorus.InvalidError naming each bad field, or nil. It also
// normalises Email and Username in place.
func (s *ProviderSignUp) Validate() error {
	inv := &chorus.InvalidError{}
	if !utf8.ValidString(s.Email+s.Username) || strings.ContainsRune(s.Email+s.Username, 0) {
		inv.Message = "The form contains characters that are not valid text. Please type it again."
	}
	s.Email = strings.TrimSpace(s.Email)
	s.Username = chorus.CleanText(s.Username, 64, false)
	checkEmail(inv, s.Email)
	checkUsername(inv, s.Username)
	return inv.Err()
}

// checkEmail adds a message for the email field unless email is one plain
// address (RFC 5322 addr-spec, at most 254 octets as RFC 5321 §4.5.3.1.3
// allows in a path).
func checkEmail(inv *chorus.InvalidError, email string) {
	switch addr, err := mail.ParseAddress(email); {
	case email == "":
		inv.Add("email", "Enter your email address.")
	case len(email) > 254 || err != nil || addr.Address != email || !strings.Contains(email, "."):
		inv.Add("email", "Enter a valid email address, like name@example.org.")
	}
}

// checkUsername adds a message for the username field unless name has 2
// to 30 letters, digits, '.', '-' or '_'.
func checkUsername(inv *chorus.InvalidError, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		inv.Add("username", "Choose a username.")
	case n < 2 || n > 30:
		inv.Add("username", "A username has 2 to 30 characters.")
	case !validUsername(name):
		inv.Add("username", "Use letters, digits, '.', '-' or '_' only.")
	}
}

func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
