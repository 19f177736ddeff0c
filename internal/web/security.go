package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// setupKeyURI is the session key of the otpauth:// URI of a two-factor
// secret being set up: it stays in the session until the member confirms
// it with a code, and only then reaches the members table.
const setupKeyURI = "totp_setup_uri"

// securityForm is the state of one of the forms of the security page.
type securityForm struct {
	// Name is the form that was sent: "enable", "disable" or "codes".
	Name    string
	Message string
	Fields  map[string]string
}

// totpSetup is what the page shows while a secret is being set up.
type totpSetup struct {
	Secret string       // base32, in groups of four for typing
	URI    template.URL // otpauth://, for an app on the same device
	QR     template.URL // data:image/png;base64,... of URI
}

// securityPage shows the two-factor settings: how to turn it on, or, when
// it is on, how many recovery codes are left and how to turn it off.
func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSecurity(w, r, http.StatusOK, securityForm{})
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, status int, form securityForm) error {
	noStore(w)
	m := s.member(r)
	tf, err := s.DB.TwoFactor(r.Context(), m.ID)
	if err != nil {
		return err
	}
	tf.Secret = "" // the page never shows an enabled secret again
	data := map[string]any{"TwoFactor": tf, "On": m.TOTP, "Form": form}
	fields := func(name string) []FieldInfo {
		var errs map[string]string
		if form.Name == name {
			errs = form.Fields
		}
		return secondFactorFields(name, *m, errs)
	}
	if m.TOTP {
		data["CodesFields"], data["DisableFields"] = fields("codes"), fields("disable")
	} else if uri := s.sessions.GetString(r.Context(), setupKeyURI); uri != "" {
		setup, err := newTOTPSetup(uri)
		if err != nil {
			return err
		}
		data["Setup"], data["EnableFields"] = setup, fields("enable")
	}
	return s.render(w, r, status, "settings_security.html", "Two-factor authentication", data)
}

// secondFactorFields are the fields a security form asks for: the password
// (for members who have one: changing how one logs in needs full
// re-authentication, OWASP ASVS 5.0 V7.5.1) and a code. Neither keeps what
// was typed.
func secondFactorFields(form string, m chorus.Member, errs map[string]string) []FieldInfo {
	var fs []FieldInfo
	if m.HasPassword {
		fs = append(fs, FieldInfo{Name: "password", Label: "Your password", Type: "password", Autocomplete: "current-password", Mandatory: true,
			Error: errs["password"], Why: "Asked again before any change to how you log in, so that someone at an open browser cannot make it."})
	}
	why := "The 6-digit code your authenticator app shows now, or one of your recovery codes."
	if form == "enable" {
		why = "The 6-digit code your authenticator app shows now for Chorus: it proves the app has the secret."
	}
	fs = append(fs, FieldInfo{Name: "code", Label: "Code", Type: "text", Autocomplete: "one-time-code", Mandatory: true, MaxLen: 64,
		Error: errs["code"], Why: why})
	return fs
}

// startTOTPSetup makes a new secret and keeps it in the session until the
// member confirms it.
func (s *Server) startTOTPSetup(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	if m.TOTP {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return nil
	}
	key, err := auth.NewTOTPKey(s.totpIssuer(), m.Username)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), setupKeyURI, key.URI)
	http.Redirect(w, r, "/settings/security#setup", http.StatusSeeOther)
	return nil
}

// cancelTOTPSetup forgets a secret that was not confirmed.
func (s *Server) cancelTOTPSetup(w http.ResponseWriter, r *http.Request) error {
	s.sessions.Remove(r.Context(), setupKeyURI)
	http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
	return nil
}

// enableTOTP turns two-factor on once the member proves the app has the
// secret (a current code) and, when they have one, gives their password;
// it then shows the recovery codes, once.
func (s *Server) enableTOTP(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	noStore(w)
	m := s.member(r)
	uri := s.sessions.GetString(r.Context(), setupKeyURI)
	if m.TOTP || uri == "" {
		if !m.TOTP {
			s.flash(r, "The setup had expired. Please start again.")
		}
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return nil
	}
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return err
	}
	if err := s.checkPasswordAgain(r, *m, r.PostFormValue("password")); err != nil {
		return s.securityFormError(w, r, "enable", err)
	}
	inv := &chorus.InvalidError{Message: "Two-factor authentication is not on yet."}
	code := strings.TrimSpace(r.PostFormValue("code"))
	step, err := auth.MatchTOTP(key.Secret(), code, s.Now(), 0)
	switch {
	case code == "":
		inv.Add("code", "Enter the 6-digit code your authenticator app shows for Chorus.")
	case errors.Is(err, auth.ErrCodeWrong):
		inv.Add("code", msgCodeWrong+" If you typed the secret by hand, check it was typed without mistakes.")
	case err != nil:
		return err
	}
	if inv.Fields != nil {
		return s.securityFormError(w, r, "enable", inv)
	}
	codes, hashes := auth.NewRecoveryCodes()
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.EnableTOTP(r.Context(), m.ID, key.Secret(), step, hashes); err != nil {
			return err
		}
		return s.tellSecurityChange(r.Context(), tx, *m, "two-factor authentication was turned on for your account, and ten recovery codes were made")
	})
	if errors.Is(err, chorus.ErrConflict) { // turned on meanwhile from another browser
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), setupKeyURI)
	s.Logger.Info("two-factor turned on", "member", m.ID)
	return s.render(w, r, http.StatusOK, "recovery_codes.html", "Your recovery codes", map[string]any{"Codes": codes, "JustEnabled": true})
}

// disableTOTP turns two-factor off after full re-authentication: the
// password and a current code or a recovery code.
func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	noStore(w)
	m := s.member(r)
	if !m.TOTP {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return nil
	}
	if err := s.reauthenticate(r, *m); err != nil {
		return s.securityFormError(w, r, "disable", err)
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.DisableTOTP(r.Context(), m.ID); err != nil {
			return err
		}
		return s.tellSecurityChange(r.Context(), tx, *m, "two-factor authentication was turned off for your account: logging in now needs only the password")
	}); err != nil {
		return err
	}
	s.Logger.Info("two-factor turned off", "member", m.ID)
	s.flash(r, "Two-factor authentication is off. Logging in now needs only your password.")
	http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
	return nil
}

// newRecoveryCodes replaces every recovery code by ten new ones, after full
// re-authentication, and shows them once.
func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	noStore(w)
	m := s.member(r)
	if !m.TOTP {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return nil
	}
	if err := s.reauthenticate(r, *m); err != nil {
		return s.securityFormError(w, r, "codes", err)
	}
	codes, hashes := auth.NewRecoveryCodes()
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.ReplaceRecoveryCodes(r.Context(), m.ID, hashes); err != nil {
			return err
		}
		return s.tellSecurityChange(r.Context(), tx, *m, "new recovery codes were made for your account, and the old ones stopped working")
	}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "recovery_codes.html", "Your recovery codes", map[string]any{"Codes": codes})
}

// reauthenticate checks the password (when the member has one) and then
// the second factor given in the request's form.
func (s *Server) reauthenticate(r *http.Request, m chorus.Member) error {
	if err := s.checkPasswordAgain(r, m, r.PostFormValue("password")); err != nil {
		return err
	}
	return s.verifySecondFactor(r.Context(), m, r.PostFormValue("code"))
}

// checkPasswordAgain checks the password of a logged-in member who has one,
// counting the attempt like a login (per address and per account); it
// returns an *chorus.InvalidError for the field "password", a
// *ratelimit.TooManyError, or a fault.
func (s *Server) checkPasswordAgain(r *http.Request, m chorus.Member, password string) error {
	if !m.HasPassword {
		return nil
	}
	bad := func(msg string) error {
		inv := &chorus.InvalidError{Message: "Your password was not accepted."}
		inv.Add("password", msg)
		return inv
	}
	if password == "" {
		return bad("Enter your password.")
	}
	address, account := addressKey("login", r), accountKey("login", m.ID, "")
	if err := s.limiter.Attempt(r.Context(), address, account); err != nil {
		return err
	}
	hash, err := s.DB.PasswordHash(r.Context(), m.ID)
	if err != nil {
		return err
	}
	if err := s.acquirePassword(r.Context()); err != nil {
		return err
	}
	err = auth.CheckPassword(hash, password)
	s.releasePassword()
	if errors.Is(err, auth.ErrMismatch) {
		return bad("That is not your password.")
	}
	if err != nil {
		return err
	}
	if err := s.limiter.Reset(r.Context(), account.Name); err != nil {
		return err
	}
	return s.limiter.Forgive(r.Context(), address)
}

// securityFormError shows the security page again with err on the form
// named form: 422 for wrong input, 429 during a wait; other errors go to
// the h adapter.
func (s *Server) securityFormError(w http.ResponseWriter, r *http.Request, form string, err error) error {
	var inv *chorus.InvalidError
	switch {
	case wantsJSON(r):
		return err
	case errors.As(err, &inv):
		return s.renderSecurity(w, r, http.StatusUnprocessableEntity, securityForm{Name: form, Message: inv.Message, Fields: inv.Fields})
	case tooMany(w, err):
		return s.renderSecurity(w, r, http.StatusTooManyRequests, securityForm{Name: form, Message: err.Error()})
	}
	return err
}

// totpIssuer names this site in authenticator apps: "Chorus (HOST)", so
// that accounts on two Chorus sites can be told apart. The Key URI format
// forbids a colon, so the port is left out.
func (s *Server) totpIssuer() string {
	u, err := url.Parse(s.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "Chorus"
	}
	return "Chorus (" + u.Hostname() + ")"
}

// newTOTPSetup prepares the setup display of an otpauth:// URI: the secret
// grouped by four, and a QR code of the URI as a PNG data: URI (the page's
// Content-Security-Policy allows img-src data:), drawn here, so that the
// secret never leaves the server for a QR service.
func newTOTPSetup(uri string) (totpSetup, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return totpSetup{}, err
	}
	png, err := qrPNG(key.URL())
	if err != nil {
		return totpSetup{}, err
	}
	var grouped strings.Builder
	for i, c := range key.Secret() {
		if i > 0 && i%4 == 0 {
			grouped.WriteByte(' ')
		}
		grouped.WriteRune(c)
	}
	// Both URLs are trusted: the otpauth:// URI is built by NewTOTPKey
	// from base32 and our host name, the data: URI from our own PNG.
	return totpSetup{
		Secret: grouped.String(),
		URI:    template.URL(key.URL()),
		QR:     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	}, nil
}

// qrPNG draws uri as a black-on-white QR code (error correction level M)
// of 4 pixels per module, inside the quiet zone of 4 modules that ISO/IEC
// 18004 requires around it.
func qrPNG(uri string) ([]byte, error) {
	const scale, quiet = 4, 4
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	modules := code.Bounds().Dx()
	scaled, err := barcode.Scale(code, modules*scale, modules*scale)
	if err != nil {
		return nil, err
	}
	side := (modules + 2*quiet) * scale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	draw.Draw(img, image.Rect(quiet*scale, quiet*scale, side-quiet*scale, side-quiet*scale), scaled, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tellSecurityChange emails the member, in tx, that how they log in
// changed (mail.SecurityChanged).
func (s *Server) tellSecurityChange(ctx context.Context, tx *store.Tx, m chorus.Member, change string) error {
	return s.Mail.Send(ctx, tx, mail.Message{To: m.Email, MemberID: m.ID,
		Content: mail.SecurityChanged{Username: m.Username, At: tx.Now, Change: change}})
}
