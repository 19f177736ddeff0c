package web

import (
	"errors"
	"net/http"
	"time"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// recentLogin is how recently a member whose account has no password (it
// was made through a sign-in provider) must have logged in to change their
// address or set a password: the login stands in for the password.
const recentLogin = 10 * time.Minute

// settingsForm is what the account page shows besides the member's data:
// what was typed and what was wrong with it.
type settingsForm struct {
	Notice                string // above the forms: a limit reached
	NewEmail              string
	EmailInv, PasswordInv *chorus.InvalidError
	// KeepOthers unticks "log out everywhere else", which is ticked by default.
	KeepOthers bool
}

func fieldErrors(inv *chorus.InvalidError) map[string]string {
	if inv == nil {
		return map[string]string{}
	}
	return inv.Fields
}

func currentPasswordField(name, errMsg string) FieldInfo {
	return FieldInfo{Name: name, Label: "Current password", Type: "password", Autocomplete: "current-password", Mandatory: true, Error: errMsg,
		Why: "We ask for it so that no one else at your keyboard can make this change."}
}

func emailChangeFields(m chorus.Member, newEmail string, inv *chorus.InvalidError) []FieldInfo {
	errs := fieldErrors(inv)
	fields := []FieldInfo{{Name: "new_email", Label: "New email address", Type: "email", Autocomplete: "email", Mandatory: true, MaxLen: 254,
		Value: chorus.CleanText(newEmail, 300, false), Error: errs["new_email"],
		Why: "We send a link to it: your address changes when you follow the link. It is never shown to other members."}}
	if m.HasPassword {
		fields = append(fields, currentPasswordField("password", errs["password"]))
	}
	if m.TOTP {
		fields = append(fields, FieldInfo{Name: "code", Label: "Two-factor code", Type: "text", Autocomplete: "one-time-code", Mandatory: true, MaxLen: 20,
			Error: errs["code"], Why: "The code your authenticator app shows now: two-factor authentication is on for your account."})
	}
	return fields
}

func passwordChangeFields(m chorus.Member, inv *chorus.InvalidError) []FieldInfo {
	errs := fieldErrors(inv)
	var fields []FieldInfo
	if m.HasPassword {
		fields = append(fields, currentPasswordField("current_password", errs["current_password"]))
	}
	return append(fields, newPasswordField("new_password", "New password", errs["new_password"]))
}

// settingsPage is the account page: the address and whether it is
// confirmed, the username, and the forms to change address and password.
func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSettings(w, r, http.StatusOK, settingsForm{})
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, f settingsForm) error {
	m := s.member(r)
	noStore(w)
	data := map[string]any{
		"Account":        m,
		"Notice":         f.Notice,
		"EmailFields":    emailChangeFields(*m, f.NewEmail, f.EmailInv),
		"PasswordFields": passwordChangeFields(*m, f.PasswordInv),
		"EndOthers":      !f.KeepOthers,
	}
	if f.EmailInv != nil {
		data["EmailError"] = f.EmailInv.Message
	}
	if f.PasswordInv != nil {
		data["PasswordError"] = f.PasswordInv.Message
	}
	return s.render(w, r, status, "settings.html", "Account settings", data)
}

// confirmIdentity checks that the member at the keyboard is the account's
// owner before a sensitive change: the current password (ASVS 5.0
// V6.2.3), or for an account without one, a login less than recentLogin
// ago. What is wrong is added to inv under field.
func (s *Server) confirmIdentity(r *http.Request, m chorus.Member, password, field string, inv *chorus.InvalidError) error {
	if m.HasPassword {
		if password == "" {
			inv.Add(field, "Enter your current password.")
			return nil
		}
		// Wrong guesses count towards the login's growing waits, so a
		// stolen session cannot try passwords at full speed.
		err := s.checkPasswordAgain(r, m, password)
		var bad *chorus.InvalidError
		if errors.As(err, &bad) {
			inv.Add(field, "This is not your current password.")
			return nil
		}
		return err
	}
	ms, err := s.DB.MemberSession(r.Context(), s.sessions.GetString(r.Context(), sessionID))
	if err != nil {
		return err
	}
	if time.Since(ms.AuthenticatedAt) > recentLogin {
		inv.Message = "For your safety, please log out and log in again, then make this change within 10 minutes."
	}
	return nil
}

// changeEmail sends a link to the new address, and a notice to the
// current one; the address changes when the link is followed.
func (s *Server) changeEmail(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	m := s.member(r)
	inv := &chorus.InvalidError{}
	email, msg := auth.CheckEmail(r.PostFormValue("new_email"))
	switch {
	case msg != "":
		inv.Add("new_email", msg)
	case chorus.FoldKey(email) == chorus.FoldKey(m.Email):
		inv.Add("new_email", "This is already your address.")
	default:
		taken, err := s.DB.EmailTaken(r.Context(), email, m.ID)
		if err != nil {
			return err
		}
		if taken {
			inv.Add("new_email", "Another account uses this address. Please choose another.")
		}
	}
	if err := s.confirmIdentity(r, *m, r.PostFormValue("password"), "password", inv); err != nil {
		return err
	}
	// The code last: checking it spends it.
	if inv.Err() == nil && m.TOTP {
		if err := s.verifySecondFactor(r.Context(), *m, r.PostFormValue("code")); err != nil {
			var bad *chorus.InvalidError
			if !errors.As(err, &bad) {
				return err
			}
			msg := bad.Fields["code"]
			if msg == "" {
				msg = bad.Message
			}
			inv.Add("code", msg)
		}
	}
	if inv.Err() != nil {
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, settingsForm{NewEmail: email, EmailInv: inv})
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		err := s.sendLink(r.Context(), tx, *m, store.PurposeChangeEmail, email, func(token string) mail.Content {
			return mail.EmailChangeConfirm{Username: m.Username, Link: s.BaseURL + "/email/confirm?token=" + token, ValidFor: changeEmailTTL}
		})
		if err != nil {
			return err
		}
		return s.Mail.Send(r.Context(), tx, mail.Message{To: m.Email, MemberID: m.ID,
			Content: mail.EmailChangeNotice{Username: m.Username, NewAddress: mail.MaskAddress(email)}})
	})
	var limited *errLinkLimit
	if errors.As(err, &limited) {
		return s.renderSettings(w, r, http.StatusTooManyRequests, settingsForm{NewEmail: email, Notice: limited.msg})
	}
	if err != nil {
		return err
	}
	s.flash(r, "We sent a link to "+email+": your address changes when you follow it. Until then it stays "+m.Email+".")
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

// confirmEmailPage shows the button that confirms a new address.
func (s *Server) confirmEmailPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	t, err := s.DB.MemberToken(r.Context(), token, store.PurposeChangeEmail)
	if err != nil {
		return s.tokenProblem(w, r, err, "/settings", "Change your address again")
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "email_confirm.html", "Confirm your new address", map[string]any{"Token": token, "Email": t.Email})
}

// confirmEmail makes the new address the account's. Links sent to the
// old address stop working.
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var t store.MemberToken
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		if t, err = tx.UseMemberToken(r.Context(), r.PostFormValue("token"), store.PurposeChangeEmail); err != nil {
			return err
		}
		if err := tx.ChangeMemberEmail(r.Context(), t.MemberID, t.Email); err != nil {
			return err
		}
		return tx.VoidMemberTokens(r.Context(), t.MemberID, store.PurposeVerifyEmail, store.PurposeResetPassword)
	})
	if err != nil {
		return s.tokenProblem(w, r, err, "/settings", "Change your address again")
	}
	s.flash(r, "Your email address is now "+t.Email+".")
	if m := s.member(r); m != nil && m.ID == t.MemberID {
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// changePassword sets a new password after checking the current one, and
// by default logs out every other browser.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	m := s.member(r)
	inv := &chorus.InvalidError{}
	current, password := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	endOthers := r.PostFormValue("end_others") != ""
	if err := s.confirmIdentity(r, *m, current, "current_password", inv); err != nil {
		return err
	}
	if msg := auth.CheckNewPassword(password, m.Email, m.Username); msg != "" {
		inv.Add("new_password", msg)
	} else if m.HasPassword && password == current {
		inv.Add("new_password", "This is your current password. Choose another.")
	}
	if inv.Err() != nil {
		return s.renderSettings(w, r, http.StatusUnprocessableEntity, settingsForm{PasswordInv: inv, KeepOthers: !endOthers})
	}
	hash, err := s.hashPassword(r, password)
	if err != nil {
		return err
	}
	keep := s.sessions.GetString(r.Context(), sessionID)
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.SetMemberPassword(r.Context(), m.ID, hash); err != nil {
			return err
		}
		if endOthers {
			if _, err := tx.EndMemberSessions(r.Context(), m.ID, keep); err != nil {
				return err
			}
		}
		if err := tx.VoidMemberTokens(r.Context(), m.ID, store.PurposeResetPassword); err != nil {
			return err
		}
		return s.Mail.Send(r.Context(), tx, mail.Message{To: m.Email, MemberID: m.ID,
			Content: mail.PasswordChanged{Username: m.Username, At: tx.Now, SessionsEnded: endOthers, KeptCurrent: true}})
	})
	if err != nil {
		return err
	}
	// A new session token after a change of credentials.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	msg := "Your password is changed."
	if endOthers {
		msg += " Every other browser that was logged in is logged out."
	}
	s.flash(r, msg)
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}
