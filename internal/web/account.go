package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/notify"
	"chorus/internal/store"
)

type ctxKey int

const memberKey ctxKey = iota

// Keys of the session's data. sessionID names the member_sessions row that
// makes the session count: ending a session deletes that row, and the next
// request of that browser is a visitor's.
const (
	sessionMemberID = "member_id"
	sessionID       = "sid"
)

// member returns the logged-in member, or nil for a visitor. A login
// counts while its member_sessions row exists and is within the idle
// timeout and the lifetime (store.DB.ActiveMemberSession, which also
// records the activity at most once a minute). Behind requireMember the
// member is loaded once per request.
func (s *Server) member(r *http.Request) *chorus.Member {
	if m, ok := r.Context().Value(memberKey).(*chorus.Member); ok {
		return m
	}
	if m := s.sessionMember(r); m != nil && !m.Suspended {
		return m
	}
	return nil
}

// sessionMember returns the member the request's login belongs to, even
// a suspended one, or nil. Only requireOwnData lets a suspended member
// through: every other page treats them as a visitor.
func (s *Server) sessionMember(r *http.Request) *chorus.Member {
	id := s.sessions.GetInt64(r.Context(), sessionMemberID)
	if id == 0 {
		return nil
	}
	ms, err := s.DB.ActiveMemberSession(r.Context(), s.sessions.GetString(r.Context(), sessionID), s.sessionLimits())
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		s.Logger.Warn("load session", "member", id, "err", err)
	}
	if err != nil || ms.MemberID != id {
		return nil
	}
	m, err := s.DB.Member(r.Context(), id)
	if err != nil {
		return nil
	}
	return &m
}

// requireOwnData is requireMember for the pages where members see and
// download their own data: a suspended member may use them too, since a
// suspension does not take away the rights of access and portability
// (GDPR Arts. 15 and 20). Everything else a suspension blocks stays blocked.
func (s *Server) requireOwnData(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if m := s.sessionMember(r); m != nil && m.Suspended {
			return fn(w, r.WithContext(context.WithValue(r.Context(), memberKey, m)))
		}
		return s.requireMember(fn)(w, r)
	}
}

// requireRole runs fn for members whose role allows want (an admin may do
// everything); others get 403, visitors the login page.
func (s *Server) requireRole(want chorus.Role, fn handler) handler {
	return s.requireMember(func(w http.ResponseWriter, r *http.Request) error {
		if !s.member(r).Role.Can(want) {
			return chorus.ErrForbidden
		}
		return fn(w, r)
	})
}

// requireMember sends visitors to the login page and runs fn for members.
func (s *Server) requireMember(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		m := s.member(r)
		if m == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return nil
			}
			return chorus.ErrUnauthorized
		}
		return fn(w, r.WithContext(context.WithValue(r.Context(), memberKey, m)))
	}
}

// FieldInfo is what a form says about one field: whether it is mandatory
// and why it is asked for.
type FieldInfo struct {
	Name, Label, Type, Autocomplete string
	Mandatory                       bool
	MaxLen                          int // characters; 0 for no limit
	Why                             string
	Value, Error                    string
}

func signupFields(in auth.SignUp, inv *chorus.InvalidError) []FieldInfo {
	errs := map[string]string{}
	if inv != nil {
		errs = inv.Fields
	}
	return []FieldInfo{
		asked("members", "email", FieldInfo{Name: "email", Label: "Email address", Type: "email", Autocomplete: "email", MaxLen: 254, Value: in.Email, Error: errs["email"]}),
		asked("members", "username", FieldInfo{Name: "username", Label: "Username", Type: "text", Autocomplete: "username", MaxLen: 30, Value: in.Username, Error: errs["username"]}),
		asked("members", "password_hash", FieldInfo{Name: "password", Label: "Password", Type: "password", Autocomplete: "new-password", Error: errs["password"]}),
	}
}

// asked fills in whether a form field is mandatory and why it is asked
// for from the data map's declaration of the column it is stored in, so
// that forms say what the policy says.
func asked(table, column string, f FieldInfo) FieldInfo {
	c := datamap.Field(table, column)
	f.Mandatory, f.Why = c.Mandatory != "", c.Why
	return f
}

func (s *Server) signupForm(w http.ResponseWriter, r *http.Request) error {
	policy, err := s.signupPolicy(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "signup.html", "Sign up", map[string]any{"Fields": signupFields(auth.SignUp{}, nil), "Policy": policy})
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	in := auth.SignUp{Email: r.PostFormValue("email"), Username: r.PostFormValue("username"), Password: r.PostFormValue("password")}
	policy, err := s.signupPolicy(r)
	if err != nil {
		return err
	}
	err = in.Validate()
	var m chorus.Member
	if err == nil {
		var hash string
		if err := s.acquirePassword(r.Context()); err != nil {
			return err
		}
		hash, err = auth.HashPassword(in.Password)
		s.releasePassword()
		if err != nil {
			return err
		}
		err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
			var err error
			m, err = tx.CreateMember(r.Context(), store.NewMember{Email: in.Email, Username: in.Username, PasswordHash: hash})
			if err != nil {
				return err
			}
			if r.PostFormValue("newsletter") != "" {
				if err := notify.SetPreferences(r.Context(), tx, m.ID, map[notify.Category]notify.Delivery{notify.Newsletter: notify.Immediate}); err != nil {
					return err
				}
			}
			// Acceptance of the policy, and the transfer choice, before
			// the first message is queued: sending it asks for them.
			if _, err := tx.AcknowledgePolicy(r.Context(), m.ID, store.AckSignUp, policy.transfers(r)); err != nil {
				return err
			}
			return s.sendVerification(r.Context(), tx, m)
		})
	}
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		if wantsJSON(r) {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "signup.html", "Sign up",
			map[string]any{"Fields": signupFields(in, inv), "Error": inv.Message, "Newsletter": r.PostFormValue("newsletter") != "", "Policy": policy})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(r, m.ID); err != nil {
		return err
	}
	s.flash(r, "Welcome to Chorus, "+m.Username+"! We sent a link to "+m.Email+": follow it to confirm your address, then create an artist profile to publish your music.")
	http.Redirect(w, r, "/studio", http.StatusSeeOther)
	return nil
}

// logIn finishes a login once the member has proved the first factor
// (a password, or a sign-in provider): it refuses suspended accounts, asks
// for the second factor when the member has one, and then starts the
// session and sends the browser on to next. Every way of logging in ends here.
func (s *Server) logIn(w http.ResponseWriter, r *http.Request, m chorus.Member, next string) error {
	if m.Suspended && !m.TOTP {
		return s.suspendedLogin(w, r, m)
	}
	if m.TOTP {
		return s.startPendingLogin(w, r, m, next)
	}
	if err := s.startSession(r, m.ID); err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// suspendedLogin answers a suspended member's login, once they proved who
// they are: the login is refused (403) with the reason, but the browser is
// logged in for the Your data page alone, so that they can download a copy
// of their data (see requireOwnData).
func (s *Server) suspendedLogin(w http.ResponseWriter, r *http.Request, m chorus.Member) error {
	if err := s.startSession(r, m.ID); err != nil {
		return err
	}
	return s.render(w, r, http.StatusForbidden, "suspended.html", "Account suspended", map[string]any{"Message": suspendedMessage(m)})
}

func suspendedMessage(m chorus.Member) string {
	msg := "This account is suspended, so it cannot log in."
	if m.SuspendedReason != "" {
		msg += " Reason: " + m.SuspendedReason
	}
	return msg + " You can still download a copy of your data from the Your data page."
}

// startSession makes the request's session belong to the member, and
// records it for the sessions page with the network it came from
// (truncated, see networkPrefix) and the browser, system and device type
// read from its User-Agent (the header itself is not kept). A login the
// browser already had ends. A privacy choice made on this browser before
// logging in becomes the member's only when they never chose; otherwise
// the member's own choice wins and the browser follows it.
func (s *Server) startSession(r *http.Request, memberID int64) error {
	if old := s.sessions.GetString(r.Context(), sessionID); old != "" {
		if err := s.DB.EndMemberSession(r.Context(), old); err != nil {
			return err
		}
	}
	// A new token on login prevents session fixation (OWASP ASVS V7.2.4).
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	sid := randomToken(16)
	browser, system, device := describeDevice(r.UserAgent())
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		err := tx.CreateMemberSession(r.Context(), store.MemberSession{ID: sid, MemberID: memberID,
			IPPrefix: networkPrefix(r.RemoteAddr), Browser: browser, OS: system, Device: device})
		if err != nil {
			return err
		}
		return carryConsent(r, tx, memberID)
	})
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionMemberID, memberID)
	s.sessions.Put(r.Context(), sessionID, sid)
	// Logging in during an erasure's grace period cancels it.
	return s.cancelErasure(r, memberID)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login.html", "Log in", map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// login checks the first factor. Guesses are slowed per client address
// and per account (ratelimit.PerAddress, ratelimit.PerAccount): during a
// wait the answer is 429 with Retry-After and the password is not checked.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	login := strings.TrimSpace(r.PostFormValue("login"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	m, hash, err := s.DB.MemberCredentials(r.Context(), login)
	if err != nil && !errors.Is(err, chorus.ErrNotFound) {
		return err
	}
	found := err == nil
	address, account := addressKey("login", r), accountKey("login", m.ID, login)
	if err := s.limiter.Attempt(r.Context(), address, account); err != nil {
		if tooMany(w, err) && !wantsJSON(r) {
			return s.render(w, r, http.StatusTooManyRequests, "login.html", "Log in",
				map[string]any{"Next": next, "Login": login, "Error": err.Error()})
		}
		return err
	}
	if err := s.acquirePassword(r.Context()); err != nil {
		return err
	}
	if found {
		err = auth.CheckPassword(hash, password)
	} else {
		auth.DummyCheck(password)
		err = auth.ErrMismatch
	}
	s.releasePassword()
	if errors.Is(err, auth.ErrMismatch) {
		if wantsJSON(r) {
			return chorus.Invalid("The email, username or password is not right.")
		}
		return s.render(w, r, http.StatusUnauthorized, "login.html", "Log in",
			map[string]any{"Next": next, "Login": login, "Error": "The email, username or password is not right."})
	}
	if err != nil {
		return err
	}
	if err := s.limiter.Reset(r.Context(), account.Name); err != nil {
		return err
	}
	if err := s.limiter.Forgive(r.Context(), address); err != nil {
		return err
	}
	return s.logIn(w, r, m, next)
}

func (s *Server) acquirePassword(ctx context.Context) error {
	select {
	case s.passwordSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) releasePassword() { <-s.passwordSlots }

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string { return safeLocal(next, "/studio") }

// safeLocal returns next when it is a path on this site, and home when it
// is empty or could lead elsewhere.
func safeLocal(next, home string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\") {
		return home
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f { // browsers drop tabs and newlines: "/\t/evil" becomes "//evil"
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return home
	}
	return next
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if sid := s.sessions.GetString(r.Context(), sessionID); sid != "" {
		if err := s.DB.EndMemberSession(r.Context(), sid); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
