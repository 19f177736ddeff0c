package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// How long the links sent by email work: an hour for a password reset,
// which grants the account, and a day for proving an address, which
// grants little.
const (
	verifyTTL      = 24 * time.Hour
	resetTTL       = time.Hour
	changeEmailTTL = 24 * time.Hour
)

// Limits on how often a member may be sent a link of one purpose, so that
// Chorus cannot be used to flood a mailbox: one a minute, five a day,
// counted from the member_tokens rows (the sign-up link included).
const (
	linkInterval = time.Minute
	linksPerDay  = 5
)

// linkLimit returns what to tell a member who asks for another link of a
// purpose, or "" when they may have one: h is what they were sent in the
// last 24 hours.
func linkLimit(h store.TokenHistory, now time.Time) string {
	if wait := h.Latest.Add(linkInterval).Sub(now); !h.Latest.IsZero() && wait > 0 {
		return fmt.Sprintf("We sent you a link less than a minute ago. Please check your inbox (and spam folder), or ask again in %d seconds.",
			int(wait.Round(time.Second)/time.Second)+1)
	}
	if h.Count >= linksPerDay {
		return fmt.Sprintf("We have sent you %d links in the last 24 hours, which is the most we send in a day. Please use the latest one, or ask again tomorrow.", h.Count)
	}
	return ""
}

// errLinkLimit carries linkLimit's message out of a transaction.
type errLinkLimit struct{ msg string }

func (e *errLinkLimit) Error() string { return e.msg }

// sendLink makes a token of purpose for the member, checking the limits
// first, and queues the message that carries it, all in tx. It returns an
// *errLinkLimit when the member has had enough links.
func (s *Server) sendLink(ctx context.Context, tx *store.Tx, m chorus.Member, purpose store.TokenPurpose, to string, content func(token string) mail.Content) error {
	h, err := tx.TokensSince(ctx, m.ID, purpose, tx.Now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if msg := linkLimit(h, tx.Now); msg != "" {
		return &errLinkLimit{msg}
	}
	ttl := map[store.TokenPurpose]time.Duration{store.PurposeVerifyEmail: verifyTTL, store.PurposeResetPassword: resetTTL,
		store.PurposeChangeEmail: changeEmailTTL}[purpose]
	token, err := tx.CreateMemberToken(ctx, m.ID, purpose, to, ttl)
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, tx, mail.Message{To: to, MemberID: m.ID, Content: content(token)})
}

// sendVerification queues the message that asks m to confirm their address.
func (s *Server) sendVerification(ctx context.Context, tx *store.Tx, m chorus.Member) error {
	return s.sendLink(ctx, tx, m, store.PurposeVerifyEmail, m.Email, func(token string) mail.Content {
		return mail.VerifyEmail{Username: m.Username, Link: s.BaseURL + "/verify?token=" + token, ValidFor: verifyTTL}
	})
}

// noStore keeps a page out of every cache: it shows personal data or
// carries a secret link (ASVS 5.0 V14.3.2).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// tokenProblem renders the page that explains why a link does not work.
func (s *Server) tokenProblem(w http.ResponseWriter, r *http.Request, err error, again, againLabel string) error {
	status, msg := http.StatusNotFound, "This link is not valid. It may be incomplete: copy the whole address from the message into your browser."
	var inv *chorus.InvalidError
	switch {
	case errors.Is(err, store.ErrTokenUsed):
		status, msg = http.StatusGone, "This link was already used, or a newer link replaced it. Each link works only once."
	case errors.Is(err, store.ErrTokenExpired):
		status, msg = http.StatusGone, "This link has expired."
	case errors.As(err, &inv):
		status, msg = http.StatusConflict, inv.Error()
	case !errors.Is(err, chorus.ErrNotFound):
		return err
	}
	noStore(w)
	return s.render(w, r, status, "link_problem.html", "Link not valid", map[string]any{"Message": msg, "Again": again, "AgainLabel": againLabel})
}

// verifyPage shows a button that confirms the address. Opening the link
// changes nothing, since mail scanners open links before people do.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	t, err := s.DB.MemberToken(r.Context(), token, store.PurposeVerifyEmail)
	if err != nil {
		return s.tokenProblem(w, r, err, "/settings", "Ask for a new link from your account")
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "verify.html", "Confirm your email address", map[string]any{"Token": token, "Email": t.Email})
}

// verify confirms the member's address with the token of the link.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	var t store.MemberToken
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		if t, err = tx.UseMemberToken(r.Context(), r.PostFormValue("token"), store.PurposeVerifyEmail); err != nil {
			return err
		}
		return tx.MarkEmailVerified(r.Context(), t.MemberID, t.Email)
	})
	if err != nil {
		return s.tokenProblem(w, r, err, "/settings", "Ask for a new link from your account")
	}
	if m := s.member(r); m != nil && m.ID == t.MemberID {
		s.flash(r, "Thank you: your email address is confirmed. You can now publish music.")
		http.Redirect(w, r, "/studio", http.StatusSeeOther)
		return nil
	}
	s.flash(r, "Thank you: your email address is confirmed. Log in to continue.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// resendVerification sends a new confirmation link, within the limits.
func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	if m.EmailVerified {
		s.flash(r, "Your email address is already confirmed.")
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
		return nil
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return s.sendVerification(r.Context(), tx, *m) })
	var limited *errLinkLimit
	if errors.As(err, &limited) {
		return s.renderSettings(w, r, http.StatusTooManyRequests, settingsForm{Notice: limited.msg})
	}
	if err != nil {
		return err
	}
	s.flash(r, "We sent a new link to "+m.Email+". It works for 24 hours.")
	http.Redirect(w, r, "/settings", http.StatusSeeOther)
	return nil
}

// unverifiedMessage says what a member must do before publishing.
const unverifiedMessage = "Please confirm your email address first: follow the link we sent you. Until then you can listen and browse, but not publish."

// requireVerified runs fn for members who confirmed their email address;
// others get a page that says how to, with a button to send a new link
// (403). Publishing, and later commenting and joining PRO, need it, so
// that what is public can be traced to a reachable person.
func (s *Server) requireVerified(fn handler) handler {
	return s.requireMember(func(w http.ResponseWriter, r *http.Request) error {
		if s.member(r).EmailVerified {
			return fn(w, r)
		}
		return s.unverified(w, r)
	})
}

// unverified answers a request that needs a confirmed address.
func (s *Server) unverified(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	if wantsJSON(r) {
		return writeJSON(w, http.StatusForbidden, map[string]any{"error": unverifiedMessage})
	}
	return s.render(w, r, http.StatusForbidden, "verify_needed.html", "Confirm your email address", map[string]any{"Email": s.member(r).Email})
}
