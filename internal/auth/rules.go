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
	switch addr, err := mail.ParseAddress(s.Email); {
	case s.Email == "":
		inv.Add("email", "Enter your email address.")
	case len(s.Email) > 254 || err != nil || addr.Address != s.Email || !strings.Contains(s.Email, "."):
		inv.Add("email", "Enter a valid email address, like name@example.org.")
	}
	switch n := utf8.RuneCountInString(s.Username); {
	case n == 0:
		inv.Add("username", "Choose a username.")
	case n < 2 || n > 30:
		inv.Add("username", "A username has 2 to 30 characters.")
	case !validUsername(s.Username):
		inv.Add("username", "Use letters, digits, '.', '-' or '_' only.")
	}
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

func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
