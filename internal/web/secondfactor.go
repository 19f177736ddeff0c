package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/ratelimit"
	"chorus/internal/store"
)

// Keys of a pending login in the session: a member who proved the first
// factor and has yet to give the second. None of them makes the browser
// logged in; only sessionMemberID and sessionID do.
const (
	pendingMemberID = "pending_member_id"
	pendingNext     = "pending_next"
	pendingSince    = "pending_since" // Unix milliseconds
)

// pendingLoginTTL is how long the second factor may take after the first.
const pendingLoginTTL = 5 * time.Minute

// factor says which second factor a member gave.
type factor int

const (
	factorNone     factor = iota // the member has no second factor
	factorTOTP                   // a code from the authenticator app
	factorRecovery               // a recovery code, now used up
)

// Messages about the code field.
const (
	msgCodeMissing = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
	msgCodeShape   = "That is not a code. Enter the 6 digits your authenticator app shows, or a recovery code (six groups of four letters and digits)."
	msgCodeWrong   = "That code is not right. Check that the clock of your phone is right, then enter the code your app shows now."
	msgCodeUsed    = "That code was already used. Wait for the next one in your app: a new code comes every 30 seconds."
	msgRecovery    = "That recovery code is not right, or it was already used: each works once."
)

// verifySecondFactor checks code against the member's second factor
// before a sensitive change (turning two-factor off, changing email):
// code is a current TOTP code (RFC 6238, six digits, one 30-second step of
// clock skew either way, each step accepted once) or an unused recovery
// code, which it uses up (OWASP ASVS 5.0 V6.5.1).
//
// It returns nil when the code is right or when the member has no second
// factor; an *chorus.InvalidError with a message for the field "code" when
// the code is missing, malformed, wrong or already used; a
// *ratelimit.TooManyError after too many wrong codes for this account
// (ratelimit.SecondFactor: the h adapter answers it with 429 and
// Retry-After); any other error is a fault.
func (s *Server) verifySecondFactor(ctx context.Context, m chorus.Member, code string) error {
	_, err := s.checkSecondFactor(ctx, m, code)
	return err
}

// checkSecondFactor is verifySecondFactor that also reports which factor
// was given, counting the attempt on extra keys too (the client address at
// login). A right code clears the account's count and forgives extra.
func (s *Server) checkSecondFactor(ctx context.Context, m chorus.Member, code string, extra ...ratelimit.Key) (factor, error) {
	if !m.TOTP {
		return factorNone, nil
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return 0, codeError(msgCodeMissing)
	}
	account := codeKey(m.ID)
	if err := s.limiter.Attempt(ctx, append([]ratelimit.Key{account}, extra...)...); err != nil {
		return 0, err
	}
	var used factor
	var msg string
	clean := auth.CleanCode(code)
	switch {
	case auth.IsTOTPCode(clean):
		tf, err := s.DB.TwoFactor(ctx, m.ID)
		if err != nil {
			return 0, err
		}
		step, err := auth.MatchTOTP(tf.Secret, clean, s.Now(), tf.LastStep)
		switch {
		case errors.Is(err, auth.ErrCodeUsed):
			msg = msgCodeUsed
		case errors.Is(err, auth.ErrCodeWrong):
			msg = msgCodeWrong
		case err != nil:
			return 0, err
		default:
			var ok bool
			err := s.DB.Tx(ctx, func(tx *store.Tx) (err error) {
				ok, err = tx.UseTOTPStep(ctx, m.ID, step)
				return err
			})
			if err != nil {
				return 0, err
			}
			if !ok { // the same code, accepted a moment ago in another request
				msg = msgCodeUsed
			}
			used = factorTOTP
		}
	case auth.IsRecoveryCode(clean):
		var ok bool
		err := s.DB.Tx(ctx, func(tx *store.Tx) (err error) {
			ok, err = tx.UseRecoveryCode(ctx, m.ID, auth.RecoveryCodeHash(clean))
			if err != nil || !ok {
				return err
			}
			return s.tellSecurityChange(ctx, tx, m, "one of your recovery codes was used instead of a code from your authenticator app")
		})
		if err != nil {
			return 0, err
		}
		if !ok {
			msg = msgRecovery
		}
		used = factorRecovery
	default:
		msg = msgCodeShape
	}
	if msg != "" {
		return 0, codeError(msg)
	}
	if err := s.limiter.Reset(ctx, account.Name); err != nil {
		return 0, err
	}
	if err := s.limiter.Forgive(ctx, extra...); err != nil {
		return 0, err
	}
	return used, nil
}

// codeError is the error of a code that was not accepted: its only
// message is the one for the field "code", which callers show beside it.
func codeError(msg string) *chorus.InvalidError {
	inv := &chorus.InvalidError{}
	inv.Add("code", msg)
	return inv
}

// startPendingLogin remembers that m proved the first factor and sends the
// browser to the second. The session gets a new token (as at any change of
// privilege, OWASP ASVS 5.0 V7.2.4) and stops being anyone's login it was.
func (s *Server) startPendingLogin(w http.ResponseWriter, r *http.Request, m chorus.Member, next string) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	if sid := s.sessions.GetString(ctx, sessionID); sid != "" {
		if err := s.DB.EndMemberSession(ctx, sid); err != nil {
			return err
		}
	}
	s.sessions.Remove(ctx, sessionMemberID)
	s.sessions.Remove(ctx, sessionID)
	s.sessions.Put(ctx, pendingMemberID, m.ID)
	s.sessions.Put(ctx, pendingNext, next)
	s.sessions.Put(ctx, pendingSince, s.Now().UnixMilli())
	http.Redirect(w, r, "/login/code", http.StatusSeeOther)
	return nil
}

// pendingLogin returns the member id and destination of the session's
// pending login. A pending login older than pendingLoginTTL is cleared and
// reported as expired; ok is false when there is none either way.
func (s *Server) pendingLogin(r *http.Request) (memberID int64, next string, expired, ok bool) {
	ctx := r.Context()
	memberID = s.sessions.GetInt64(ctx, pendingMemberID)
	if memberID == 0 {
		return 0, "", false, false
	}
	since := time.UnixMilli(s.sessions.GetInt64(ctx, pendingSince))
	if age := s.Now().Sub(since); age < 0 || age > pendingLoginTTL {
		s.clearPendingLogin(r)
		return 0, "", true, false
	}
	return memberID, safeNext(s.sessions.GetString(ctx, pendingNext)), false, true
}

func (s *Server) clearPendingLogin(r *http.Request) {
	for _, k := range []string{pendingMemberID, pendingNext, pendingSince} {
		s.sessions.Remove(r.Context(), k)
	}
}

// restartLogin sends a browser without a pending login back to the login form.
func (s *Server) restartLogin(w http.ResponseWriter, r *http.Request, expired bool) error {
	if expired {
		s.flash(r, fmt.Sprintf("Your login took more than %d minutes, so it was cancelled. Please log in again.", int(pendingLoginTTL/time.Minute)))
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) loginCodeForm(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	if _, _, expired, ok := s.pendingLogin(r); !ok {
		return s.restartLogin(w, r, expired)
	}
	return s.renderLoginCode(w, r, http.StatusOK, "")
}

func (s *Server) renderLoginCode(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	return s.render(w, r, status, "login_code.html", "Two-factor authentication", map[string]any{
		"Field": FieldInfo{Name: "code", Label: "Code", Type: "text", Autocomplete: "one-time-code", Mandatory: true, MaxLen: 64, Error: errMsg,
			Why: "The 6-digit code your authenticator app shows now. Lost your phone? Enter one of your recovery codes instead."},
		"Minutes": int(pendingLoginTTL / time.Minute),
	})
}

// loginCode checks the second factor of a pending login and, when it is
// right, logs the member in. Codes are slowed per account
// (ratelimit.SecondFactor) and per client address.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	noStore(w)
	id, next, expired, ok := s.pendingLogin(r)
	if !ok {
		return s.restartLogin(w, r, expired)
	}
	m, err := s.DB.Member(r.Context(), id)
	if errors.Is(err, chorus.ErrNotFound) { // the account was deleted meanwhile
		s.clearPendingLogin(r)
		return s.restartLogin(w, r, false)
	}
	if err != nil {
		return err
	}
	used, err := s.checkSecondFactor(r.Context(), m, r.PostFormValue("code"), addressKey("code", r))
	var inv *chorus.InvalidError
	switch {
	case errors.As(err, &inv) && !wantsJSON(r):
		return s.renderLoginCode(w, r, http.StatusUnprocessableEntity, inv.Fields["code"])
	case tooMany(w, err) && !wantsJSON(r):
		return s.renderLoginCode(w, r, http.StatusTooManyRequests, err.Error())
	case err != nil:
		return err
	}
	s.clearPendingLogin(r)
	if m.Suspended {
		return s.suspendedLogin(w, r, m)
	}
	if err := s.startSession(r, m.ID); err != nil {
		return err
	}
	if used == factorRecovery {
		tf, err := s.DB.TwoFactor(r.Context(), m.ID)
		if err != nil {
			return err
		}
		s.flash(r, fmt.Sprintf("You logged in with a recovery code, which is now used up. You have %s left: you can make new ones on the Two-factor settings page.",
			plural(tf.RecoveryCodesLeft, "recovery code", "recovery codes")))
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}
