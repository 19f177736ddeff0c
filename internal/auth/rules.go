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
	var msg string
	if s.Email, msg = CheckEmail(s.Email); msg != "" {
		inv.Add("email", msg)
	}
	s.Username = chorus.CleanText(s.Username, 64, false)
	switch n := utf8.RuneCountInString(s.Username); {
	case n == 0:
		inv.Add("username", "Choose a username.")
	case n < 2 || n > 30:
		inv.Add("username", "A username has 2 to 30 characters.")
	case !validUsername(s.Username):
		inv.Add("username", "Use letters, digits, '.', '-' or '_' only.")
	}
	if msg := CheckNewPassword(s.Password); msg != "" {
		inv.Add("password", msg)
	}
	return inv.Err()
}

// CheckEmail trims an email address typed in a form and returns it with
// the message to show when it is not a usable address ("" when it is):
// one plain addr-spec (RFC 5322 §3.4.1) of at most 254 octets (RFC 5321
// §4.5.3.1.3 with RFC 3696 erratum 1690), with a dot in its domain.
func CheckEmail(email string) (string, string) {
	email = strings.TrimSpace(email)
	switch addr, err := mail.ParseAddress(email); {
	case email == "":
		return email, "Enter your email address."
	case !utf8.ValidString(email) || len(email) > 254 || err != nil || addr.Address != email || !strings.Contains(email, "."):
		return email, "Enter a valid email address, like name@example.org."
	}
	return email, ""
}

// CheckNewPassword returns the message to show when password cannot be
// chosen, or "": at least 8 characters (OWASP ASVS 5.0 V6.2.1) and at most
// 1024 bytes, far above the 64 characters V6.2.9 asks to allow, which
// bounds the cost of hashing it. Any composition of valid text is allowed
// (V6.2.5), and the password is used exactly as typed (V6.2.8).
func CheckNewPassword(password string) string {
	switch n := utf8.RuneCountInString(password); {
	case !utf8.ValidString(password) || strings.ContainsRune(password, 0):
		return "The password contains characters that are not valid text. Please type it again."
	case n == 0:
		return "Choose a password."
	case n < 8:
		return "Use at least 8 characters."
	case len(password) > 1024:
		return "Use at most 1024 bytes."
	}
	return ""
}

func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
