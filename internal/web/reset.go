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

// resetAnswerTime is the least time the answer to a reset request takes,
// whether the address has an account or not: queueing a message takes a
// little longer than finding nothing, and the difference must not tell
// who has an account (OWASP ASVS 5.0 V6.3.8).
const resetAnswerTime = 250 * time.Millisecond

func resetFields(email string, inv *chorus.InvalidError) []FieldInfo {
	errs := map[string]string{}
	if inv != nil {
		errs = inv.Fields
	}
	return []FieldInfo{{Name: "email", Label: "Email address", Type: "email", Autocomplete: "email", Mandatory: true, MaxLen: 254,
		Value: email, Error: errs["email"],
		Why: "The address of your account: we send the link to choose a new password there."}}
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "reset.html", "Forgotten password", map[string]any{"Fields": resetFields("", nil)})
}

// resetRequest sends a link to choose a new password to the address, if
// an account uses it. The answer is the same page in the same time either
// way. When no account uses the address, nothing is sent: a message to
// an address that has no account would let anyone make Chorus write to
// any address, and the page already says what to do when no message
// comes.
func (s *Server) resetRequest(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email, msg := auth.CheckEmail(r.PostFormValue("email"))
	if msg != "" {
		inv := &chorus.InvalidError{}
		inv.Add("email", msg)
		// What was typed is shown back as text, without what cannot be shown.
		return s.render(w, r, http.StatusUnprocessableEntity, "reset.html", "Forgotten password",
			map[string]any{"Fields": resetFields(chorus.CleanText(email, 300, false), inv)})
	}
	m, err := s.DB.MemberByEmail(r.Context(), email)
	if errors.Is(err, chorus.ErrNotFound) {
		m, err = chorus.Member{}, nil
	}
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if m.ID == 0 {
			// The same reads as for a member, for no one.
			_, err := tx.TokensSince(r.Context(), 0, store.PurposeResetPassword, tx.Now.Add(-24*time.Hour))
			return err
		}
		return s.sendLink(r.Context(), tx, m, store.PurposeResetPassword, m.Email, func(token string) mail.Content {
			return mail.ResetPassword{Username: m.Username, Link: s.BaseURL + "/reset/" + token, ValidFor: resetTTL}
		})
	})
	var limited *errLinkLimit
	if err != nil && !errors.As(err, &limited) { // over the limit, the answer must not say so either
		return err
	}
	select {
	case <-time.After(time.Until(start.Add(resetAnswerTime))):
	case <-r.Context().Done():
		return r.Context().Err()
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "reset.html", "Check your email", map[string]any{"Sent": true, "Email": email})
}

func newPasswordField(name, label, errMsg string) FieldInfo {
	return FieldInfo{Name: name, Label: label, Type: "password", Autocomplete: "new-password", Mandatory: true, Error: errMsg,
		Why: "At least 8 characters; we store only a salted hash of it."}
}

// resetPasswordForm shows the form for a new password when the link still
// works; opening it spends nothing.
func (s *Server) resetPasswordForm(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	if _, err := s.DB.MemberToken(r.Context(), token, store.PurposeResetPassword); err != nil {
		return s.tokenProblem(w, r, err, "/reset", "Ask for a new link")
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "reset_password.html", "Choose a new password",
		map[string]any{"Token": token, "Field": newPasswordField("password", "New password", "")})
}

// resetPassword sets the new password, ends every session of the member
// and tells them by mail. It does not log in: the member logs in with the
// new password and, if they have one, their second factor, which a reset
// must not bypass (ASVS 5.0 V6.4.3).
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	token := r.PathValue("token")
	tok, err := s.DB.MemberToken(r.Context(), token, store.PurposeResetPassword)
	if err != nil {
		return s.tokenProblem(w, r, err, "/reset", "Ask for a new link")
	}
	owner, err := s.DB.Member(r.Context(), tok.MemberID)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	if msg := auth.CheckNewPassword(password, owner.Email, owner.Username); msg != "" {
		noStore(w)
		return s.render(w, r, http.StatusUnprocessableEntity, "reset_password.html", "Choose a new password",
			map[string]any{"Token": token, "Field": newPasswordField("password", "New password", msg)})
	}
	hash, err := s.hashPassword(r, password)
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		t, err := tx.UseMemberToken(r.Context(), token, store.PurposeResetPassword)
		if err != nil {
			return err
		}
		m, err := tx.Member(r.Context(), t.MemberID)
		if err != nil {
			return err
		}
		if chorus.FoldKey(m.Email) != chorus.FoldKey(t.Email) {
			return chorus.Invalid("This link was sent to an address your account no longer uses. Ask for a new link.")
		}
		if err := tx.SetMemberPassword(r.Context(), m.ID, hash); err != nil {
			return err
		}
		if _, err := tx.EndMemberSessions(r.Context(), m.ID, ""); err != nil {
			return err
		}
		// A pending change of address, perhaps asked for by whoever knew
		// the old password, dies with it.
		if err := tx.VoidMemberTokens(r.Context(), m.ID, store.PurposeChangeEmail); err != nil {
			return err
		}
		// Following the link proved the member reads this address.
		if err := tx.MarkEmailVerified(r.Context(), m.ID, m.Email); err != nil {
			return err
		}
		return s.Mail.Send(r.Context(), tx, mail.Message{To: m.Email, MemberID: m.ID,
			Content: mail.PasswordChanged{Username: m.Username, At: tx.Now, SessionsEnded: true}})
	})
	if err != nil {
		return s.tokenProblem(w, r, err, "/reset", "Ask for a new link")
	}
	s.flash(r, "Your password is changed, and every browser that was logged in is logged out. Log in with your new password.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// hashPassword hashes a new password within the bound on concurrent
// hashing.
func (s *Server) hashPassword(r *http.Request, password string) (string, error) {
	if err := s.acquirePassword(r.Context()); err != nil {
		return "", err
	}
	defer s.releasePassword()
	return auth.HashPassword(password)
}
