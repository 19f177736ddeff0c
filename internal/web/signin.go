package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/notify"
	"chorus/internal/signin"
	"chorus/internal/store"
)

// Sign-in with third-party providers. The flow, in the session:
//
//  1. GET /auth/{provider} says what the provider will send and why.
//  2. POST /auth/{provider} keeps a flow (state, nonce, PKCE verifier, what
//     it is for) in the session and sends the browser to the provider.
//  3. GET /auth/{provider}/callback checks state, lets the provider's
//     adapter check the rest, then logs in, links, or asks a new member to
//     choose a username (GET and POST /auth/{provider}/signup).
//
// A provider's account never attaches to an existing Chorus account by
// email: the owner logs in first and links it from /settings/connections.

// Session keys of the flow in progress and of a sign-up waiting for its
// username; both are JSON so the session store needs no registered types.
const (
	sessionSignInFlow   = "signin_flow"
	sessionSignInSignUp = "signin_signup"
)

// signInTimeout bounds a flow, from leaving Chorus to coming back, and a
// sign-up waiting for its username.
const signInTimeout = 10 * time.Minute

type signInFlow struct {
	Provider string
	State    string // RFC 6749 §10.12: binds the answer to this browser
	Nonce    string // OpenID Connect Core §3.1.2.1: binds the ID token to this flow
	Verifier string // RFC 7636: proves the code was asked for by us
	// Link is true when a logged-in member links the provider; MemberID
	// is who started it.
	Link     bool
	MemberID int64
	Next     string
	Expires  time.Time
}

type pendingSignUp struct {
	Provider string
	Profile  signin.Profile
	Next     string
	Expires  time.Time
}

// signInButton is a provider offered on the login and sign-up pages.
type signInButton struct{ ID, Name string }

// providerNames name the providers a member may have linked, also once
// the instance stops offering them.
var providerNames = map[string]string{"google": "Google", "facebook": "Facebook", "twitter": "X (Twitter)", "oidc": "OpenID Connect"}

func (s *Server) providerName(id string) string {
	for _, p := range s.SignIn {
		if p.ID() == id {
			return p.Name()
		}
	}
	if n, ok := providerNames[id]; ok {
		return n
	}
	return id
}

func (s *Server) signInButtons() []signInButton {
	var b []signInButton
	for _, p := range s.SignIn {
		b = append(b, signInButton{ID: p.ID(), Name: p.Name()})
	}
	return b
}

// provider returns the enabled provider named in the path, or ErrNotFound.
func (s *Server) provider(r *http.Request) (signin.Provider, error) {
	id := r.PathValue("provider")
	for _, p := range s.SignIn {
		if p.ID() == id {
			return p, nil
		}
	}
	return nil, chorus.ErrNotFound
}

// noStore keeps a page with personal data out of every cache (RFC 9111 §5.2.2.5).
// signInConsent shows what the provider will send and what each piece is
// used for, before the browser goes there.
func (s *Server) signInConsent(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provider(r)
	if err != nil {
		return err
	}
	link := r.URL.Query().Get("intent") == "link"
	if link && s.member(r) == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	noStore(w)
	title := "Continue with " + p.Name()
	if link {
		title = "Link " + p.Name() + " to your account"
	}
	return s.render(w, r, http.StatusOK, "signin_consent.html", title, map[string]any{
		"ID": p.ID(), "Name": p.Name(), "Takes": p.Takes(), "Link": link, "Next": safeNext(r.URL.Query().Get("next")),
	})
}

// signInStart begins a flow and sends the browser to the provider.
func (s *Server) signInStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provider(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	flow := signInFlow{Provider: p.ID(), State: randomToken(32), Nonce: randomToken(32), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.PostFormValue("next")), Expires: time.Now().Add(signInTimeout)}
	if r.PostFormValue("intent") == "link" {
		m := s.member(r)
		if m == nil {
			return chorus.ErrUnauthorized
		}
		flow.Link, flow.MemberID, flow.Next = true, m.ID, "/settings/connections"
	}
	authURL, err := p.AuthCodeURL(r.Context(), flow.State, flow.Nonce, flow.Verifier)
	if err != nil {
		s.Logger.Error("sign-in provider unreachable", "provider", p.ID(), "err", err)
		return s.providerUnavailable(w, r, p)
	}
	b, err := json.Marshal(flow)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionSignInFlow, string(b))
	http.Redirect(w, r, authURL, http.StatusSeeOther)
	return nil
}

func (s *Server) providerUnavailable(w http.ResponseWriter, r *http.Request, p signin.Provider) error {
	noStore(w)
	return s.render(w, r, http.StatusBadGateway, "error.html", "Sign-in unavailable", map[string]any{"Status": http.StatusBadGateway,
		"Message": p.Name() + " did not answer as expected, so you were not signed in and nothing was changed. Please try again in a moment."})
}

// signInCallback is where the provider sends the browser back.
func (s *Server) signInCallback(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provider(r)
	if err != nil {
		return err
	}
	noStore(w)
	// The flow is used once, whatever happens next.
	var flow signInFlow
	raw := s.sessions.PopString(r.Context(), sessionSignInFlow)
	q := r.URL.Query()
	if raw == "" || json.Unmarshal([]byte(raw), &flow) != nil || flow.Provider != p.ID() || time.Now().After(flow.Expires) ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 {
		return &chorus.SafeError{Kind: chorus.ErrForbidden,
			Safe: "This sign-in with " + p.Name() + " was not started in this browser, or took longer than 10 minutes, so it was refused. Please start again."}
	}
	back := "/login"
	if flow.Link {
		back = "/settings/connections"
	}
	if q.Get("error") != "" || q.Get("code") == "" { // RFC 6749 §4.1.2.1: the person declined, or the provider refused
		s.flash(r, "Signing in with "+p.Name()+" did not go through, so nothing was changed.")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	prof, err := p.Exchange(r.Context(), q.Get("code"), flow.Verifier, flow.Nonce)
	if errors.Is(err, signin.ErrUnverified) {
		s.Logger.Warn("sign-in answer refused", "provider", p.ID(), "err", err)
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Err: err,
			Safe: "We could not verify the answer from " + p.Name() + ", so you were not signed in. Please try again."}
	}
	if err != nil {
		s.Logger.Error("sign-in exchange failed", "provider", p.ID(), "err", err)
		return s.providerUnavailable(w, r, p)
	}
	if flow.Link {
		return s.finishLink(w, r, p, flow, prof)
	}
	return s.finishSignIn(w, r, p, flow, prof)
}

// finishSignIn logs in the member who linked this provider account, or
// starts a sign-up. An account with the provider's email is never taken
// over: its owner must log in and link the provider first.
func (s *Server) finishSignIn(w http.ResponseWriter, r *http.Request, p signin.Provider, flow signInFlow, prof signin.Profile) error {
	ctx := r.Context()
	ident, err := s.DB.IdentityBySubject(ctx, p.ID(), prof.Subject)
	switch {
	case err == nil:
		ident.Email, ident.EmailVerified, ident.DisplayName, ident.AvatarURL = prof.Email, prof.EmailVerified, prof.DisplayName, prof.AvatarURL
		if err := s.DB.Tx(ctx, func(tx *store.Tx) error { return tx.RefreshIdentity(ctx, ident) }); err != nil {
			return err
		}
		m, err := s.DB.Member(ctx, ident.MemberID)
		if err != nil {
			return err
		}
		return s.logIn(w, r, m, flow.Next)
	case !errors.Is(err, chorus.ErrNotFound):
		return err
	}
	if prof.Email != "" {
		// Usernames cannot contain "@", so this finds the email's owner only.
		_, err := s.DB.MemberByLogin(ctx, prof.Email)
		if err == nil {
			return s.linkFirst(w, r, p)
		}
		if !errors.Is(err, chorus.ErrNotFound) {
			return err
		}
	}
	b, err := json.Marshal(pendingSignUp{Provider: p.ID(), Profile: prof, Next: flow.Next, Expires: time.Now().Add(signInTimeout)})
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionSignInSignUp, string(b))
	http.Redirect(w, r, "/auth/"+p.ID()+"/signup", http.StatusSeeOther)
	return nil
}

// linkFirst tells someone whose provider email is already a member's that
// they must log in and link the provider; nothing is attached.
func (s *Server) linkFirst(w http.ResponseWriter, r *http.Request, p signin.Provider) error {
	return s.render(w, r, http.StatusConflict, "login.html", "Log in", map[string]any{
		"Next":  "/settings/connections",
		"Error": "An account with this email exists: log in with your password, then link " + p.Name() + " from settings.",
	})
}

// finishLink links the provider account to the member who started the flow.
func (s *Server) finishLink(w http.ResponseWriter, r *http.Request, p signin.Provider, flow signInFlow, prof signin.Profile) error {
	ctx := r.Context()
	m := s.member(r)
	if m == nil || m.ID != flow.MemberID {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "You are no longer logged in as the member who started linking " + p.Name() + ". Log in again, then link it from settings."}
	}
	ident := store.Identity{MemberID: m.ID, Provider: p.ID(), Subject: prof.Subject, Email: prof.Email,
		EmailVerified: prof.EmailVerified, DisplayName: prof.DisplayName, AvatarURL: prof.AvatarURL}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.LinkIdentity(ctx, ident)
		return err
	})
	if errors.Is(err, store.ErrIdentityTaken) {
		existing, ferr := s.DB.IdentityBySubject(ctx, p.ID(), prof.Subject)
		switch {
		case ferr == nil && existing.MemberID == m.ID:
			s.flash(r, p.Name()+" was already linked to your account.")
			http.Redirect(w, r, "/settings/connections", http.StatusSeeOther)
			return nil
		case ferr == nil:
			return &chorus.SafeError{Kind: chorus.ErrConflict, Err: err,
				Safe: "This " + p.Name() + " account is already linked to another Chorus account, so it was not linked to yours."}
		}
		return &chorus.SafeError{Kind: chorus.ErrConflict, Err: err,
			Safe: "Your account is already linked to another " + p.Name() + " account. Unlink that one first to link this one."}
	}
	if err != nil {
		return err
	}
	s.flash(r, p.Name()+" is now linked: you can log in with it.")
	http.Redirect(w, r, "/settings/connections", http.StatusSeeOther)
	return nil
}

// pending returns the sign-up waiting for its username, if it is for p
// and not too old.
func (s *Server) pending(r *http.Request, p signin.Provider) (pendingSignUp, bool) {
	var ps pendingSignUp
	raw := s.sessions.GetString(r.Context(), sessionSignInSignUp)
	if raw == "" || json.Unmarshal([]byte(raw), &ps) != nil || ps.Provider != p.ID() || time.Now().After(ps.Expires) {
		return pendingSignUp{}, false
	}
	return ps, true
}

func providerSignUpFields(p signin.Provider, ps pendingSignUp, in auth.ProviderSignUp, inv *chorus.InvalidError) []FieldInfo {
	errs := map[string]string{}
	if inv != nil {
		errs = inv.Fields
	}
	var f []FieldInfo
	if ps.Profile.Email == "" {
		f = append(f, FieldInfo{Name: "email", Label: "Email address", Type: "email", Autocomplete: "email", Mandatory: true, MaxLen: 254,
			Value: in.Email, Error: errs["email"],
			Why: p.Name() + " does not give us your email address. We need it to reach you about your account, and will send a link to check it. It is never shown to other members."})
	}
	return append(f, FieldInfo{Name: "username", Label: "Username", Type: "text", Autocomplete: "username", Mandatory: true, MaxLen: 30,
		Value: in.Username, Error: errs["username"],
		Why: "Needed to identify you on Chorus. It is public: others see it beside what you post. We proposed one from your name; change it as you like."})
}

// signUpInProgress is the provider of the path and the sign-up it started in
// this browser. When there is none (too old, or already finished), it
// sends the browser back to the sign-up page and ok is false.
func (s *Server) signUpInProgress(w http.ResponseWriter, r *http.Request) (p signin.Provider, ps pendingSignUp, ok bool, err error) {
	if p, err = s.provider(r); err != nil {
		return nil, ps, false, err
	}
	if ps, ok = s.pending(r, p); !ok {
		s.flash(r, "Your sign-up with "+p.Name()+" took too long or was already finished. Please start again.")
		http.Redirect(w, r, "/signup", http.StatusSeeOther)
	}
	return p, ps, ok, nil
}

// signInSignUpForm asks a new member for a username (and an email, when
// the provider gives none).
func (s *Server) signInSignUpForm(w http.ResponseWriter, r *http.Request) error {
	p, ps, ok, err := s.signUpInProgress(w, r)
	if err != nil || !ok {
		return err
	}
	in := auth.ProviderSignUp{Username: proposeUsername(ps.Profile)}
	return s.renderProviderSignUp(w, r, http.StatusOK, p, ps, in, nil)
}

func (s *Server) renderProviderSignUp(w http.ResponseWriter, r *http.Request, status int, p signin.Provider, ps pendingSignUp, in auth.ProviderSignUp, inv *chorus.InvalidError) error {
	noStore(w)
	policy, err := s.signupPolicy(r)
	if err != nil {
		return err
	}
	data := map[string]any{"ID": p.ID(), "Name": p.Name(), "Profile": ps.Profile, "Fields": providerSignUpFields(p, ps, in, inv), "Policy": policy}
	if inv != nil {
		msg := inv.Message
		if e, ok := inv.Fields["email"]; ok && ps.Profile.Email != "" { // the email is not a field here
			msg = e
		}
		if msg == "" {
			msg = "Please correct the fields below."
		}
		data["Error"] = msg
	}
	return s.render(w, r, status, "signin_signup.html", "Finish signing up", data)
}

// signInSignUp creates the member, links the provider account and logs in.
func (s *Server) signInSignUp(w http.ResponseWriter, r *http.Request) error {
	p, ps, ok, err := s.signUpInProgress(w, r)
	if err != nil || !ok {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if r.PostFormValue("cancel") != "" {
		s.sessions.Remove(r.Context(), sessionSignInSignUp)
		s.flash(r, "Sign-up cancelled: what "+p.Name()+" sent us is deleted, and no account was made.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	in := auth.ProviderSignUp{Email: ps.Profile.Email, Username: r.PostFormValue("username")}
	if ps.Profile.Email == "" {
		in.Email = r.PostFormValue("email")
	}
	policy, err := s.signupPolicy(r)
	if err != nil {
		return err
	}
	err = in.Validate()
	var m chorus.Member
	if err == nil {
		err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
			var err error
			// The email counts as verified only when the provider said so
			// of this very address; a typed one is checked by email.
			m, err = tx.CreateMember(r.Context(), store.NewMember{Email: in.Email, Username: in.Username,
				EmailVerified: ps.Profile.Email != "" && ps.Profile.EmailVerified})
			if err != nil {
				return err
			}
			if _, err := tx.AcknowledgePolicy(r.Context(), m.ID, store.AckSignUp, policy.transfers(r)); err != nil {
				return err
			}
			_, err = tx.LinkIdentity(r.Context(), store.Identity{MemberID: m.ID, Provider: p.ID(), Subject: ps.Profile.Subject,
				Email: ps.Profile.Email, EmailVerified: ps.Profile.EmailVerified, DisplayName: ps.Profile.DisplayName, AvatarURL: ps.Profile.AvatarURL})
			if err == nil && r.PostFormValue("newsletter") != "" {
				err = notify.SetPreferences(r.Context(), tx, m.ID, map[notify.Category]notify.Delivery{notify.Newsletter: notify.Immediate})
			}
			if err != nil || m.EmailVerified {
				return err
			}
			// An address the provider did not vouch for is confirmed by
			// email, as at sign-up with a password.
			return s.sendVerification(r.Context(), tx, m)
		})
	}
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return s.renderProviderSignUp(w, r, http.StatusUnprocessableEntity, p, ps, in, inv)
	}
	if errors.Is(err, store.ErrIdentityTaken) {
		s.sessions.Remove(r.Context(), sessionSignInSignUp)
		return &chorus.SafeError{Kind: chorus.ErrConflict, Err: err,
			Safe: "This " + p.Name() + " account was linked to a Chorus account meanwhile. Log in with " + p.Name() + " instead."}
	}
	if err != nil {
		return err
	}
	s.sessions.Remove(r.Context(), sessionSignInSignUp)
	s.flash(r, "Welcome to Chorus, "+m.Username+"! You can log in with "+p.Name()+".")
	return s.logIn(w, r, m, ps.Next)
}

// proposeUsername makes a username from the provider's name ("Ana María
// Lima" → "Ana.María.Lima"), or from the email's local part, that passes
// the sign-up rules' character set; "" when neither gives two characters.
func proposeUsername(p signin.Profile) string {
	for _, src := range []string{p.DisplayName, strings.SplitN(p.Email, "@", 2)[0]} {
		var b strings.Builder
		dot := false
		for _, r := range src {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
				dot = false
			case (unicode.IsSpace(r) || r == '.') && b.Len() > 0 && !dot:
				b.WriteRune('.')
				dot = true
			}
		}
		name := strings.TrimRight(b.String(), ".")
		if utf8.RuneCountInString(name) > 30 {
			name = strings.TrimRight(string([]rune(name)[:30]), ".")
		}
		if utf8.RuneCountInString(name) >= 2 {
			return name
		}
	}
	return ""
}

// connection is one provider on the settings page: offered, linked or both.
type connection struct {
	ID, Name string
	Offered  bool
	Identity *store.Identity
	// Last is true when this is the member's only way to log in.
	Last bool
}

func (s *Server) connections(r *http.Request, m *chorus.Member) ([]connection, error) {
	ids, err := s.DB.Identities(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	var out []connection
	seen := map[string]bool{}
	for _, p := range s.SignIn {
		out = append(out, connection{ID: p.ID(), Name: p.Name(), Offered: true})
		seen[p.ID()] = true
	}
	for _, i := range ids {
		if !seen[i.Provider] {
			out = append(out, connection{ID: i.Provider, Name: s.providerName(i.Provider)})
			seen[i.Provider] = true
		}
	}
	for k := range out {
		for _, i := range ids {
			if i.Provider == out[k].ID {
				out[k].Identity = &i
				out[k].Last = !m.HasPassword && len(ids) == 1
			}
		}
	}
	return out, nil
}

// settingsConnections lists the providers, what is kept from each linked
// one, and the links to link and unlink.
func (s *Server) settingsConnections(w http.ResponseWriter, r *http.Request) error {
	return s.renderConnections(w, r, http.StatusOK, "")
}

func (s *Server) renderConnections(w http.ResponseWriter, r *http.Request, status int, errMsg string) error {
	m := s.member(r)
	conns, err := s.connections(r, m)
	if err != nil {
		return err
	}
	noStore(w)
	return s.render(w, r, status, "connections.html", "Connected accounts", map[string]any{
		"Connections": conns, "HasPassword": m.HasPassword, "Error": errMsg})
}

// unlinkConnection removes a linked provider and what was kept from it,
// unless it is the member's last way to log in.
func (s *Server) unlinkConnection(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	id := r.PathValue("provider")
	name := s.providerName(id)
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.UnlinkIdentity(r.Context(), m.ID, id) })
	if errors.Is(err, store.ErrLastLoginMethod) {
		return s.renderConnections(w, r, http.StatusConflict,
			name+" is the only way you can log in to your account, so it cannot be unlinked. Set a password or link another provider first, then unlink "+name+".")
	}
	if err != nil {
		return err
	}
	s.flash(r, name+" is unlinked, and what we kept from it is deleted.")
	http.Redirect(w, r, "/settings/connections", http.StatusSeeOther)
	return nil
}
