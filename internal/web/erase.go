package web

import (
	"errors"
	"net/http"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// defaultErasureGrace is the wait before erasure when Deps leaves it zero.
const defaultErasureGrace = 14 * 24 * time.Hour

// erasureForm is what the account deletion page shows besides the account.
type erasureForm struct {
	Now    bool // "at once" was chosen
	Errors map[string]string
	Error  string
}

func (s *Server) erasureGrace() time.Duration {
	if s.ErasureGrace > 0 {
		return s.ErasureGrace
	}
	return defaultErasureGrace
}

// deleteAccountPage explains what deleting the account erases and asks
// for the password (or a recent login) and the second factor.
func (s *Server) deleteAccountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderDeleteAccount(w, r, http.StatusOK, erasureForm{})
}

func (s *Server) renderDeleteAccount(w http.ResponseWriter, r *http.Request, status int, f erasureForm) error {
	m := s.member(r)
	artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	needLogin := false
	if !m.HasPassword {
		ago, err := s.authenticatedAgo(r)
		if err != nil {
			return err
		}
		needLogin = ago > recentLogin
	}
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	noStore(w)
	return s.render(w, r, status, "settings_delete.html", "Delete your account", map[string]any{
		"Artists": artists, "Grace": humanDuration(s.erasureGrace()), "HasPassword": m.HasPassword, "TOTP": m.TOTP,
		"NeedLogin": needLogin, "Now": f.Now, "Errors": f.Errors, "Error": f.Error,
	})
}

// deleteAccount records the member's request to erase their account and
// queues the erasure: after the grace period (logging in before then
// cancels it), or at once. The member is logged out everywhere.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	m := s.member(r)
	now := r.PostFormValue("when") == "now"
	f := erasureForm{Now: now, Errors: map[string]string{}}
	fail := func(status int, msg string) error {
		f.Error = msg
		return s.renderDeleteAccount(w, r, status, f)
	}
	if r.PostFormValue("confirm") != "yes" {
		f.Errors["confirm"] = "Tick this box to confirm that you want your account deleted."
		return fail(http.StatusUnprocessableEntity, "Nothing was deleted: please confirm.")
	}
	if m.HasPassword {
		if err := s.checkPasswordAgain(r, *m, r.PostFormValue("password")); err != nil {
			var inv *chorus.InvalidError
			switch {
			case errors.As(err, &inv):
				f.Errors["password"] = inv.Fields["password"]
				return fail(http.StatusUnprocessableEntity, "Nothing was deleted: "+inv.Message)
			case tooMany(w, err):
				return fail(http.StatusTooManyRequests, err.Error())
			}
			return err
		}
	} else {
		ago, err := s.authenticatedAgo(r)
		if err != nil {
			return err
		}
		if ago > recentLogin {
			return fail(http.StatusUnprocessableEntity, "Nothing was deleted: for your safety, please log out and log in again, then delete your account within 10 minutes.")
		}
	}
	if err := s.verifySecondFactor(r.Context(), *m, r.PostFormValue("code")); err != nil {
		var inv *chorus.InvalidError
		switch {
		case errors.As(err, &inv):
			f.Errors["code"] = inv.Error()
			return fail(http.StatusUnprocessableEntity, "Nothing was deleted: the two-factor code was not accepted.")
		case tooMany(w, err):
			return fail(http.StatusTooManyRequests, err.Error())
		}
		return err
	}
	eraseAt := s.DB.Now()
	if !now {
		eraseAt = eraseAt.Add(s.erasureGrace())
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		req, err := tx.RequestErasure(r.Context(), m.ID, eraseAt)
		if err != nil {
			return err
		}
		return s.Publishing.Queue.EnqueueErasure(r.Context(), tx, req)
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return fail(http.StatusUnprocessableEntity, "Nothing was deleted: "+inv.Error())
	}
	if err != nil {
		return err
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	if now {
		s.flash(r, "Your account is being deleted, with everything it holds. This takes a moment; nothing of it will be left.")
	} else {
		s.flash(r, "Your account will be deleted on "+eraseAt.Format("2 January 2006 at 15:04 MST")+", with everything it holds. You are logged out everywhere; log in before then if you change your mind.")
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// cancelErasure withdraws the member's pending erasure request, if any,
// when they log in, and tells them so.
func (s *Server) cancelErasure(r *http.Request, memberID int64) error {
	cancelled, err := s.DB.CancelErasure(r.Context(), memberID)
	if err != nil {
		return err
	}
	if cancelled {
		s.flash(r, "Welcome back: you logged in, so your account will not be deleted.")
	}
	return nil
}
