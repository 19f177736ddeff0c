package web

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// Passkeys follow WebAuthn Level 3: a member registers a discoverable
// credential that requires user verification (a PIN or biometric on the
// device), so a passkey alone proves two factors and logs in without the
// password or a TOTP code (NIST SP 800-63B §5.1.8; OWASP ASVS 5.0 V6.2).

// Keys of the session's data during a ceremony.
const (
	sessionPasskeyRegistration = "passkey_registration"
	sessionPasskeyLogin        = "passkey_login"
	sessionPasskeyName         = "passkey_name"
)

// newRelyingParty configures WebAuthn for the site's origin. A relying
// party id must be a domain name (WebAuthn §5.1.4.1 refuses IP addresses),
// so a site reached by IP address has no passkeys: nil, with the reason.
func newRelyingParty(baseURL string) (*webauthn.WebAuthn, string) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Hostname() == "" {
		return nil, "the site's base URL is not set"
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, "passkeys need the site to be reached by a domain name (such as localhost), not an IP address"
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Chorus",
		RPOrigins:     []string{baseURL},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
		},
	})
	if err != nil {
		return nil, err.Error()
	}
	return wa, ""
}

// passkeyUser is a member as WebAuthn sees them.
type passkeyUser struct {
	m      chorus.Member
	handle []byte
	keys   []store.Passkey
}

func (u *passkeyUser) WebAuthnID() []byte          { return u.handle }
func (u *passkeyUser) WebAuthnName() string        { return u.m.Username }
func (u *passkeyUser) WebAuthnDisplayName() string { return u.m.Username }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.keys))
	for _, k := range u.keys {
		var c webauthn.Credential
		if json.Unmarshal(k.Credential, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) passkeyUser(r *http.Request, m chorus.Member) (*passkeyUser, error) {
	h, err := s.DB.WebAuthnHandle(r.Context(), m.ID, randomToken(32))
	if err != nil {
		return nil, err
	}
	handle, err := hexBytes(h)
	if err != nil {
		return nil, err
	}
	keys, err := s.DB.Passkeys(r.Context(), m.ID)
	if err != nil {
		return nil, err
	}
	return &passkeyUser{m: m, handle: handle, keys: keys}, nil
}

func hexBytes(h string) ([]byte, error) { return hex.DecodeString(h) }

// passkeysPage lists the member's passkeys and offers to add one.
func (s *Server) passkeysPage(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	keys, err := s.DB.Passkeys(r.Context(), m.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "settings_passkeys.html", "Passkeys", map[string]any{
		"Passkeys": keys, "Unavailable": s.passkeysOff, "NeedPassword": m.HasPassword,
	})
}

// beginPasskeyRegistration checks the member's password (a new way to log
// in is a sensitive change) and answers the creation options as JSON.
func (s *Server) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	if s.webauthn == nil {
		return &chorus.SafeError{Kind: chorus.ErrNotFound, Safe: "Passkeys are not available on this site: " + s.passkeysOff + "."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	m := s.member(r)
	name := chorus.CleanText(r.PostFormValue("name"), 60, false)
	inv := &chorus.InvalidError{}
	if name == "" {
		inv.Add("name", "Name this passkey, for example after the device that holds it.")
	}
	if err := s.checkPasswordAgain(r, *m, r.PostFormValue("password")); err != nil {
		var bad *chorus.InvalidError
		if !errors.As(err, &bad) {
			return err // a wait imposed against guessing, or a fault
		}
		inv.Add("password", bad.Fields["password"])
	}
	if err := inv.Err(); err != nil {
		return err
	}
	user, err := s.passkeyUser(r, *m)
	if err != nil {
		return err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(user.keys))
	for _, c := range user.WebAuthnCredentials() {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := s.webauthn.BeginRegistration(user,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return err
	}
	if err := s.putJSON(r, sessionPasskeyRegistration, session); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionPasskeyName, name)
	return writeJSON(w, http.StatusOK, creation)
}

// finishPasskeyRegistration verifies the authenticator's answer and keeps
// the new passkey.
func (s *Server) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	if s.webauthn == nil {
		return chorus.ErrNotFound
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	m := s.member(r)
	var session webauthn.SessionData
	if !s.popJSON(r, sessionPasskeyRegistration, &session) {
		return chorus.Invalid("This passkey set-up expired. Please start again.")
	}
	name := s.sessions.PopString(r.Context(), sessionPasskeyName)
	user, err := s.passkeyUser(r, *m)
	if err != nil {
		return err
	}
	cred, err := s.webauthn.FinishRegistration(user, session, r)
	if err != nil {
		s.Logger.Info("passkey registration refused", "member", m.ID, "err", err)
		return chorus.Invalid("Your device's answer could not be verified, so the passkey was not added. Please try again.")
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if _, err := tx.AddPasskey(r.Context(), store.Passkey{MemberID: m.ID, CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID), Name: name, Credential: record}); err != nil {
			return err
		}
		return s.tellSecurityChange(r.Context(), tx, *m, "a passkey named “"+name+"” was added to your account: it logs in without the password")
	})
	if err != nil {
		return chorus.Invalid("This passkey is already registered.")
	}
	s.flash(r, "Passkey “"+name+"” added. You can now log in with it.")
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": "/settings/passkeys"})
}

// removePasskey deletes one of the member's passkeys.
func (s *Server) removePasskey(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return chorus.ErrNotFound
	}
	ok, err := s.DB.RemovePasskey(r.Context(), s.member(r).ID, id)
	if err != nil {
		return err
	}
	if !ok {
		return chorus.ErrNotFound
	}
	s.flash(r, "Passkey removed. Remove it from your device too, in its password or passkey settings.")
	http.Redirect(w, r, "/settings/passkeys", http.StatusSeeOther)
	return nil
}

// beginPasskeyLogin answers the options of a discoverable login: the
// browser offers the passkeys it holds for this site.
func (s *Server) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	if s.webauthn == nil {
		return &chorus.SafeError{Kind: chorus.ErrNotFound, Safe: "Passkeys are not available on this site: " + s.passkeysOff + "."}
	}
	assertion, session, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return err
	}
	if err := s.putJSON(r, sessionPasskeyLogin, session); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, assertion)
}

// finishPasskeyLogin verifies the signed challenge and logs the member in.
func (s *Server) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	if s.webauthn == nil {
		return chorus.ErrNotFound
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	var session webauthn.SessionData
	if !s.popJSON(r, sessionPasskeyLogin, &session) {
		return chorus.Invalid("This login attempt expired. Please try again.")
	}
	var found *passkeyUser
	user, cred, err := s.webauthn.FinishPasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		id, err := s.DB.MemberByWebAuthnHandle(r.Context(), hex.EncodeToString(userHandle))
		if err != nil {
			return nil, err
		}
		m, err := s.DB.Member(r.Context(), id)
		if err != nil {
			return nil, err
		}
		found, err = s.passkeyUser(r, m)
		return found, err
	}, session, r)
	if err != nil || user == nil || found == nil {
		s.Logger.Info("passkey login refused", "err", err)
		return &chorus.SafeError{Kind: chorus.ErrUnauthorized, Safe: "This passkey is not known here, or your device's answer could not be verified. Log in with your password instead."}
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	if err := s.DB.UsePasskey(r.Context(), base64.RawURLEncoding.EncodeToString(cred.ID), record); err != nil {
		return err
	}
	if found.m.Suspended {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: suspendedMessage(found.m)}
	}
	if err := s.startSession(r, found.m.ID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"redirect": safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) putJSON(r *http.Request, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), key, string(b))
	return nil
}

func (s *Server) popJSON(r *http.Request, key string, v any) bool {
	b := s.sessions.PopString(r.Context(), key)
	return b != "" && json.Unmarshal([]byte(b), v) == nil
}
