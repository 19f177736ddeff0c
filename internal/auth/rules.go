package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

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
	default:
		if msg := UsernameProblem(s.Username); msg != "" {
			inv.Add("username", msg)
		}
	}
	if msg := CheckNewPassword(s.Password, s.Email, s.Username); msg != "" {
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
	case strings.ContainsAny(email, "[]"):
		// An address literal (user@[192.0.2.1], RFC 5321 §4.1.3) names a
		// machine, not a mail domain; no mail service hands them out.
		return email, "Enter an address at a domain name, like name@example.org."
	}
	return email, ""
}

// minPasswordScore is the least zxcvbn score accepted: 2 means about 10⁸
// guesses, beyond an online attack slowed by the login's growing waits.
const minPasswordScore = 2

// CheckNewPassword returns the message to show when password cannot be
// chosen, or "": valid text, at least 8 characters (OWASP ASVS 5.0 V6.2.1)
// and at most 1024 bytes, far above the 64 characters V6.2.9 asks to
// allow, which bounds the cost of hashing it; and not among common
// passwords nor made from the member's own email or username (V6.2.4,
// V6.2.11), as judged by the zxcvbn estimator, whose lists hold some
// 30 000 common passwords. userInputs are those words. Any composition is
// allowed (V6.2.5), and the password is used exactly as typed (V6.2.8).
func CheckNewPassword(password string, userInputs ...string) string {
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
	// The estimate grows with length; past 64 characters a password is
	// judged by its start, which is enough to catch a common one.
	judged := password
	if r := []rune(password); len(r) > 64 {
		judged = string(r[:64])
	}
	var inputs []string
	for _, in := range userInputs {
		if in = strings.TrimSpace(in); in != "" {
			inputs = append(inputs, in)
			if local, _, ok := strings.Cut(in, "@"); ok {
				inputs = append(inputs, local)
			}
		}
	}
	if zxcvbn.PasswordStrength(judged, inputs).Score < minPasswordScore {
		return "This password is too easy to guess: it is a common password, a simple pattern, or made from your name. A few unrelated words make a strong one."
	}
	return ""
}

// reservedUsernames are names that would pass for the site itself, its
// staff or one of its pages. A name whose look-alike skeleton matches one
// ("adm1n", "аdmin" with a Cyrillic "а") is refused too.
var reservedUsernames = []string{
	"about", "abuse", "account", "accounts", "admin", "administrator", "albums", "api", "artists", "auth",
	"chorus", "contact", "help", "home", "info", "login", "logout", "mail", "members", "mod", "moderator",
	"moderators", "noreply", "no-reply", "null", "official", "postmaster", "privacy", "pro", "reset", "root",
	"search", "security", "settings", "signup", "staff", "static", "studio", "support", "system", "tags",
	"team", "terms", "tracks", "undefined", "verify", "webmaster", "www",
}

var reservedSkeletons = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range reservedUsernames {
		m[looseSkeleton(n)] = true
	}
	return m
}()

// looseSkeleton is a username's skeleton read more loosely still, for
// reserved names only: "l" and "i" alike ("adm1n"), and digits at the end
// left out ("admin2"), since a name that looks like the site's own must
// not pass for it.
func looseSkeleton(name string) string {
	k := strings.ReplaceAll(chorus.UsernameSkeleton(name), "l", "i")
	if t := strings.TrimRight(k, "0123456789"); t != "" {
		k = t
	}
	return k
}

// UsernameProblem says what is wrong with a username that has the right
// length, or "" when it may be used: only letters, digits, '.', '-' and '_';
// letters of one writing system (Unicode TR #39 §5.2); not a reserved name
// or a look-alike of one. Uniqueness is checked by the store.
func UsernameProblem(name string) string {
	switch {
	case !validUsername(name):
		return "Use letters, digits, '.', '-' or '_' only."
	case !startsWithLetterOrDigit(name):
		return "Start your username with a letter or a digit."
	case chorus.MixedScript(name):
		return "Use letters of one alphabet only: names that mix alphabets (such as Latin and Cyrillic) can be made to look like someone else's."
	case reservedSkeletons[looseSkeleton(name)]:
		return "This name is reserved for the site. Please choose another."
	}
	return ""
}

func startsWithLetterOrDigit(s string) bool {
	for _, r := range s {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return false
}

func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
