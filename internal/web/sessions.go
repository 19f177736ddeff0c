package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// recentLoginToEndSessions is how long after logging in (or confirming
// their password) a member may end other sessions without confirming
// again: ending sessions needs the login credentials re-entered (OWASP
// ASVS 5.0 V7.5.2), so a stolen session cannot lock its owner out.
const recentLoginToEndSessions = 15 * time.Minute

// Session timeouts used when Deps leaves them zero.
const (
	defaultSessionIdleTimeout = 7 * 24 * time.Hour
	defaultSessionLifetime    = 30 * 24 * time.Hour
)

// DeleteExpiredSessions deletes the records of logins past the idle
// timeout or the lifetime, so the network and device they hold are kept no
// longer than the login; it returns how many it deleted. Run it now and
// then (chorus serve does, every hour): logins are also checked, and
// deleted when expired, as they are used.
func (s *Server) DeleteExpiredSessions(ctx context.Context) (int, error) {
	return s.DB.DeleteExpiredMemberSessions(ctx, s.sessionLimits())
}

// sessionLimits are the configured timeouts, for the store's checks.
func (s *Server) sessionLimits() store.SessionLimits {
	return store.SessionLimits{Idle: s.SessionIdleTimeout, Lifetime: s.SessionLifetime}
}

// markAuthenticated records that the member of r has just proved who they
// are again in this session (re-entered their password, or a second-factor
// code), so that authenticatedAgo starts again from zero. Features that
// ask for a recent login call it after their own check succeeds.
//
// Errors: chorus.ErrNotFound when the session has ended.
func (s *Server) markAuthenticated(r *http.Request) error {
	sid := s.sessions.GetString(r.Context(), sessionID)
	return s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.MarkSessionAuthenticated(r.Context(), sid) })
}

// authenticatedAgo tells how long ago the member of r last proved who they
// are in this session: at login, or at the last markAuthenticated. Sensitive
// changes compare it with a window of their own and ask for the password
// again when it is older (OWASP ASVS 5.0 V7.5.1, V7.5.3).
//
// Errors: chorus.ErrNotFound when the request has no live session.
func (s *Server) authenticatedAgo(r *http.Request) (time.Duration, error) {
	sid := s.sessions.GetString(r.Context(), sessionID)
	if sid == "" {
		return 0, fmt.Errorf("session: %w", chorus.ErrNotFound)
	}
	return s.DB.SinceAuthenticated(r.Context(), sid)
}

// sessionView is one line of the sessions page.
type sessionView struct {
	ID                  string
	Browser, OS, Device string // as shown, never empty
	Network             string // truncated, see networkPrefix; "" if unknown
	LastSeen, Started   time.Time
	LastSeenAgo         string
	Current             bool
}

func deviceLabel(device string) string {
	switch device {
	case deviceDesktop:
		return "Desktop"
	case deviceMobile:
		return "Mobile"
	case deviceTablet:
		return "Tablet"
	case deviceBot:
		return "Bot"
	}
	return "Unknown device type"
}

// ago says how long before now t was, roughly, in words.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 2*time.Minute:
		return "just now"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// humanDuration writes a timeout in the largest whole unit: "7 days",
// "1 hour", "90 minutes".
func humanDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if d >= u.d && d%u.d == 0 {
			return plural(int(d/u.d), u.name, u.name+"s")
		}
	}
	return d.String()
}

// sessionsPage lists the member's active sessions: device, approximate
// network and last activity, with the current one marked.
func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderSessions(w, r, http.StatusOK, nil)
}

func (s *Server) renderSessions(w http.ResponseWriter, r *http.Request, status int, inv *chorus.InvalidError) error {
	m := s.member(r)
	current := s.sessions.GetString(r.Context(), sessionID)
	list, err := s.DB.ListMemberSessions(r.Context(), m.ID, s.sessionLimits())
	if err != nil {
		return err
	}
	authAgo, err := s.authenticatedAgo(r)
	if err != nil {
		return err
	}
	now := time.Now()
	views := make([]sessionView, 0, len(list))
	for _, ms := range list {
		v := sessionView{ID: ms.ID, Browser: ms.Browser, OS: ms.OS, Device: deviceLabel(ms.Device), Network: ms.IPPrefix,
			LastSeen: ms.LastSeenAt, Started: ms.CreatedAt, LastSeenAgo: ago(now, ms.LastSeenAt), Current: ms.ID == current}
		if v.Browser == "" {
			v.Browser = "Unknown browser"
		}
		if v.OS == "" {
			v.OS = "unknown system"
		}
		views = append(views, v)
	}
	errs, msg := map[string]string{}, ""
	if inv != nil {
		errs, msg = inv.Fields, inv.Message
	}
	w.Header().Set("Cache-Control", "no-store") // personal data: kept by no cache (RFC 9111 §5.2.2.5)
	return s.render(w, r, status, "settings_sessions.html", "Sessions", map[string]any{
		"Sessions": views, "Others": len(views) - 1,
		"NeedPassword": authAgo > recentLoginToEndSessions, "HasPassword": m.HasPassword, "TOTP": m.TOTP,
		"Idle": humanDuration(s.SessionIdleTimeout), "Lifetime": humanDuration(s.SessionLifetime),
		"Errors": errs, "Error": msg,
	})
}

// sessionsError shows input errors on the sessions page; other errors go
// to the error adapter.
func (s *Server) sessionsError(w http.ResponseWriter, r *http.Request, err error) error {
	var inv *chorus.InvalidError
	if errors.As(err, &inv) && !wantsJSON(r) {
		return s.renderSessions(w, r, http.StatusUnprocessableEntity, inv)
	}
	return err
}

// requireRecentLogin returns nil when the member of r proved who they are
// in this session within recentLoginToEndSessions, and otherwise an
// *InvalidError that asks them to confirm their password first.
func (s *Server) requireRecentLogin(r *http.Request) error {
	ago, err := s.authenticatedAgo(r)
	if err != nil {
		return err
	}
	if ago <= recentLoginToEndSessions {
		return nil
	}
	inv := &chorus.InvalidError{Message: "Nothing was ended: it has been a while since you logged in, so please confirm it is you first."}
	inv.Add("password", "Enter your password to confirm it is you.")
	return inv
}

// confirmSessionsPassword checks the member's password (form field
// "password") and, when two-factor authentication is on, their code
// ("code"); when both are right it records the new proof of identity for
// this session (markAuthenticated).
func (s *Server) confirmSessionsPassword(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	password := r.PostFormValue("password")
	inv := &chorus.InvalidError{}
	if !m.HasPassword {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "Your account has no password: log in again to confirm it is you."}
	}
	if password == "" {
		inv.Add("password", "Enter your password.")
		return s.sessionsError(w, r, inv)
	}
	// The same check as every password prompt: wrong guesses count
	// towards the growing waits of the login.
	if err := s.checkPasswordAgain(r, *m, password); err != nil {
		var bad *chorus.InvalidError
		if !errors.As(err, &bad) {
			return err
		}
		inv.Add("password", bad.Fields["password"])
		return s.sessionsError(w, r, inv)
	}
	// With two-factor authentication on, the login credentials include the
	// second factor.
	if err := s.verifySecondFactor(r.Context(), *m, r.PostFormValue("code")); err != nil {
		return s.sessionsError(w, r, err)
	}
	if err := s.markAuthenticated(r); err != nil {
		return err
	}
	s.flash(r, "Thank you: you can now end sessions.")
	http.Redirect(w, r, "/settings/sessions", http.StatusSeeOther)
	return nil
}

// endSession ends one of the member's sessions: that browser is logged out
// on its next request. Ending the current session is logging out.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	id := r.PathValue("id")
	if id == s.sessions.GetString(r.Context(), sessionID) {
		return s.logout(w, r)
	}
	if err := s.requireRecentLogin(r); err != nil {
		return s.sessionsError(w, r, err)
	}
	switch err := s.DB.EndSessionOfMember(r.Context(), m.ID, id); {
	case errors.Is(err, chorus.ErrNotFound):
		s.flash(r, "That session had already ended.")
	case err != nil:
		return err
	default:
		s.flash(r, "The session is ended: that browser is logged out.")
	}
	http.Redirect(w, r, "/settings/sessions", http.StatusSeeOther)
	return nil
}

// endOtherSessions ends every session of the member but the current one.
func (s *Server) endOtherSessions(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	if err := s.requireRecentLogin(r); err != nil {
		return s.sessionsError(w, r, err)
	}
	n, err := s.DB.EndMemberSessions(r.Context(), m.ID, s.sessions.GetString(r.Context(), sessionID))
	if err != nil {
		return err
	}
	s.flash(r, fmt.Sprintf("%s ended: only this browser is still logged in.", plural(n, "other session", "other sessions")))
	http.Redirect(w, r, "/settings/sessions", http.StatusSeeOther)
	return nil
}
