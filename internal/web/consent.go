package web

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
)

// consented answers the one question every feature asks before using
// personal data for a purpose that needs consent: may purpose p be used
// for this request? A Global Privacy Control or Do Not Track signal that
// refuses p wins; otherwise the latest choice of the member (or of the
// visitor, by their consent cookie) decides, and without one the answer is
// no. When the ledger cannot be read the answer is no as well.
func (s *Server) consented(r *http.Request, p consent.Purpose) bool {
	sig := consent.SignalOf(r.Header)
	if sig.Refuses(p) {
		return false
	}
	rec, err := s.currentChoice(r, s.member(r))
	if err != nil {
		s.Logger.Warn("read consent", "err", err)
		return false
	}
	return consent.Allowed(sig, rec, p)
}

// consentSubject is whose choices count for r: the logged-in member m's,
// or, when m is nil, the visitor's of the consent cookie; ok is false for a
// visitor without a (well-formed) cookie.
func consentSubject(r *http.Request, m *chorus.Member) (who store.ConsentSubject, ok bool) {
	if m != nil {
		return store.ConsentSubject{MemberID: m.ID}, true
	}
	if id := visitorConsentID(r); id != "" {
		return store.ConsentSubject{VisitorHash: store.VisitorHash(id)}, true
	}
	return store.ConsentSubject{}, false
}

// currentChoice is the choice that counts for r, whose member is m (nil
// for a visitor); nil when none was made.
func (s *Server) currentChoice(r *http.Request, m *chorus.Member) (*consent.Record, error) {
	who, ok := consentSubject(r, m)
	if !ok {
		return nil, nil
	}
	rec, err := s.DB.LatestConsent(r.Context(), who)
	if errors.Is(err, chorus.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// visitorConsentID returns the random id of the request's consent cookie,
// or "" when there is none or it is not one we could have made.
func visitorConsentID(r *http.Request) string {
	c, err := r.Cookie(consent.ConsentCookie)
	if err != nil || len(c.Value) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(c.Value); err != nil || strings.ToLower(c.Value) != c.Value {
		return ""
	}
	return c.Value
}

// consentView is what the banner and the choice forms show.
type consentView struct {
	Notice consent.Notice
	// Current is the choice that counts now, nil when none was made.
	Current *consent.Record
	// Return is where the form comes back to.
	Return string
	// From names the form, recorded as the choice's source.
	From consent.Source
	// Labels of the buttons.
	Accept, Refuse, Choose, Save string
}

// Checked reports whether p's box starts ticked: only when the current
// choice said yes to it. Nothing is ticked before a choice.
func (v consentView) Checked(p consent.Purpose) bool {
	return v.Current != nil && v.Current.Gives(p)
}

// newConsentView is the form for r under the policy version in force,
// policyVersion.
func newConsentView(r *http.Request, policyVersion string, cur *consent.Record, from consent.Source, ret string) *consentView {
	return &consentView{Notice: consent.NoticeFor(consent.SignalOf(r.Header), policyVersion), Current: cur, From: from, Return: ret,
		Accept: consent.AcceptLabel, Refuse: consent.RefuseLabel, Choose: consent.ChooseLabel, Save: consent.SaveLabel}
}

// banner returns the banner for a page seen by m (nil for a visitor):
// shown until a choice is made, except on the pages that hold the same form.
func (s *Server) banner(r *http.Request, m *chorus.Member) *consentView {
	if r.URL.Path == "/privacy/choices" || r.URL.Path == "/settings/privacy" {
		return nil
	}
	cur, err := s.currentChoice(r, m)
	if err != nil {
		s.Logger.Warn("read consent", "err", err)
		return nil
	}
	if cur != nil {
		return nil
	}
	ret := "/"
	if r.Method == http.MethodGet {
		ret = r.URL.RequestURI()
	}
	version, err := s.policyVersion(r)
	if err != nil {
		s.Logger.Warn("read the policy version", "err", err)
		return nil
	}
	return newConsentView(r, version, nil, consent.FromBanner, ret)
}

// saveConsent records a choice made on the banner, the choices page or the
// privacy settings, and goes back to the page it was made on. A visitor
// gets the consent cookie now, and not before: it is what makes their
// choice theirs.
func (s *Server) saveConsent(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return chorus.Invalid("The form could not be read. Please try again.")
	}
	version, err := s.policyVersion(r)
	if err != nil {
		return err
	}
	notice := consent.NoticeFor(consent.SignalOf(r.Header), version)
	var given []consent.Purpose
	switch r.PostForm.Get("choice") {
	case "accept":
		given = notice.Ask
	case "refuse":
	case "save":
		for _, v := range r.PostForm["purpose"] {
			p, ok := consent.Parse(v)
			if !ok {
				return chorus.Invalid("That is not one of the purposes we ask about. Please use the form on this site.")
			}
			given = append(given, p)
		}
	default:
		return chorus.Invalid("Please choose " + consent.AcceptLabel + ", " + consent.RefuseLabel + " or " + consent.SaveLabel + ".")
	}
	from := consent.Source(r.PostForm.Get("from"))
	if !slices.Contains([]consent.Source{consent.FromBanner, consent.FromChoices, consent.FromSettings}, from) {
		from = consent.FromBanner
	}
	yes, no := notice.Decide(given)
	rec := consent.Record{Given: yes, Refused: no, Signal: consent.SignalOf(r.Header).String(),
		PolicyVersion: notice.Version, Wording: notice.Text(), Source: from}

	m := s.member(r)
	var before *consent.Record
	if m != nil {
		if before, err = s.currentChoice(r, m); err != nil {
			return err
		}
	}
	// A member who withdraws analytics consent takes their events out of
	// their listening history, as "Clear all" does: they count anonymously.
	withdrawn := before != nil && before.Gives(consent.Analytics) && !slices.Contains(yes, consent.Analytics)
	var cleared int64

	who, ok := consentSubject(r, m)
	if !ok {
		id := randomToken(16)
		who = store.ConsentSubject{VisitorHash: store.VisitorHash(id)}
		http.SetCookie(w, &http.Cookie{Name: consent.ConsentCookie, Value: id, Path: "/",
			MaxAge: int(consent.ConsentCookieMaxAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: strings.HasPrefix(s.BaseURL, "https://")})
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if _, err := tx.RecordConsent(r.Context(), who, rec); err != nil {
			return err
		}
		if !withdrawn {
			return nil
		}
		var err error
		cleared, err = tx.ForgetHistory(r.Context(), who.MemberID)
		return err
	}); err != nil {
		return err
	}
	if !slices.Contains(yes, consent.Analytics) {
		// Withdrawing analytics consent removes the random id it allowed.
		if _, err := r.Cookie(consent.AnalyticsCookie); err == nil {
			http.SetCookie(w, &http.Cookie{Name: consent.AnalyticsCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
	}
	switch {
	case withdrawn:
		s.flash(r, "Your privacy choices are saved. As you withdrew analytics consent, your listening history is cleared ("+
			plural(int(cleared), "entry", "entries")+"): those events now count only anonymously.")
	case who.MemberID != 0:
		s.flash(r, "Your privacy choices are saved.")
	}
	ret := safeLocal(r.PostForm.Get("return"), "/")
	if ret == "/privacy/consent" {
		ret = "/privacy/choices"
	}
	http.Redirect(w, r, ret, http.StatusSeeOther)
	return nil
}

// privacyChoices shows the current choice with a form to change it, what
// the browser's signal already refused, and every cookie Chorus may set.
func (s *Server) privacyChoices(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.currentChoice(r, s.member(r))
	if err != nil {
		return err
	}
	version, err := s.policyVersion(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "privacy_choices.html", "Privacy choices", map[string]any{
		"Consent": newConsentView(r, version, cur, consent.FromChoices, "/privacy/choices"),
		"Cookies": consent.Cookies,
	})
}

// settingsPrivacy shows a member their choices, the one that counts and
// every earlier one, with the words they were shown.
func (s *Server) settingsPrivacy(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	history, err := s.DB.ConsentHistory(r.Context(), m.ID)
	if err != nil {
		return err
	}
	var cur *consent.Record
	if len(history) > 0 {
		cur = &history[0]
	}
	version, err := s.policyVersion(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "settings_privacy.html", "Privacy", map[string]any{
		"Consent": newConsentView(r, version, cur, consent.FromSettings, "/settings/privacy"),
		"History": history,
	})
}

// carryConsent settles, in the transaction that starts a member's session,
// whose choice counts on this browser (store.Tx.CarryConsent): a member who
// has a recorded choice keeps it and the browser follows it; a member who
// never chose takes over the choice made on this browser before logging in.
func carryConsent(r *http.Request, tx *store.Tx, memberID int64) error {
	id := visitorConsentID(r)
	if id == "" {
		return nil
	}
	_, err := tx.CarryConsent(r.Context(), store.VisitorHash(id), memberID)
	return err
}

// DeleteExpiredVisitorConsent deletes the consent records of visitors made
// more than consent.VisitorRecordRetention ago, and returns how many it
// deleted. chorus serve runs it every hour.
func (s *Server) DeleteExpiredVisitorConsent(ctx context.Context) (int64, error) {
	return s.DB.DeleteExpiredVisitorConsent(ctx, s.Now().Add(-consent.VisitorRecordRetention))
}
