// Package consent holds what Chorus asks people to agree to beyond what is
// strictly necessary, the words it asks with, and the rule that decides
// whether a purpose may be used for a request.
//
// Consent must be as easy to refuse and withdraw as to give, given per
// purpose, with nothing pre-ticked, and provable afterwards (GDPR Art. 4(11),
// Art. 7(1) and 7(3); EDPB Guidelines 05/2020). A browser's Global Privacy
// Control (the Sec-GPC request header) or Do Not Track (DNT) signal counts as
// a refusal of analytics and personalisation, and no one is asked about
// what their browser already refused.
package consent

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Purpose is one use of personal data that needs consent.
type Purpose string

// The purposes Chorus asks about. Nothing else beyond what is strictly
// necessary to provide what a person asked for is done with their data.
const (
	// Analytics is linking page views, plays, downloads and searches (with
	// their words) to the member or to a visitor's random id. Without it
	// they are only counted, with no identifier (Counting).
	Analytics Purpose = "analytics"
	// Personalisation is recommendations and a home page built from what
	// the person listened to.
	Personalisation Purpose = "personalisation"
	// Sharing is showing a member's activity (favourites, plays, playlists)
	// to the members who follow them.
	Sharing Purpose = "sharing"
)

// Purposes lists every purpose, in the order they are shown.
var Purposes = []Purpose{Analytics, Personalisation, Sharing}

// Parse returns the purpose named s, or false when s names none.
func Parse(s string) (Purpose, bool) {
	p := Purpose(s)
	return p, slices.Contains(Purposes, p)
}

// Label is the short name of p shown beside its checkbox.
func (p Purpose) Label() string {
	switch p {
	case Analytics:
		return "Analytics"
	case Personalisation:
		return "Personalisation"
	case Sharing:
		return "Sharing with your contacts"
	}
	return string(p)
}

// Description says in plain words what saying yes to p allows.
func (p Purpose) Description() string {
	switch p {
	case Analytics:
		return "What you view, play, download and search for (with your search words) is linked to you: to your account, as your listening history, or without an account to a random id in a cookie, so that we can count distinct listeners. It stays on this site: no other company receives it. Withdrawing it clears your listening history."
	case Personalisation:
		return "We use what you listened to and liked to suggest music on your home page."
	case Sharing:
		return "When you have an account, the members who follow you see what you favourite, play and add to playlists. You can choose which kinds of activity in your settings."
	}
	return ""
}

// Signal is what a browser says about tracking in its request headers.
type Signal struct {
	// GPC is Global Privacy Control: "Sec-GPC: 1"
	// (https://privacycg.github.io/gpc-spec/).
	GPC bool
	// DNT is Do Not Track: "DNT: 1" (W3C Tracking Preference Expression).
	DNT bool
}

// SignalOf reads the tracking signal of a request's headers.
func SignalOf(h http.Header) Signal {
	return Signal{GPC: strings.TrimSpace(h.Get("Sec-GPC")) == "1", DNT: strings.TrimSpace(h.Get("DNT")) == "1"}
}

// Any reports whether the browser sent a signal.
func (s Signal) Any() bool { return s.GPC || s.DNT }

// Refuses reports whether the signal refuses purpose p: either signal
// refuses analytics and personalisation; neither says anything about
// sharing with a member's own contacts, which is asked for.
func (s Signal) Refuses(p Purpose) bool {
	return s.Any() && (p == Analytics || p == Personalisation)
}

// String names the signals sent, "" for none: "gpc", "dnt" or "gpc,dnt".
func (s Signal) String() string {
	var names []string
	if s.GPC {
		names = append(names, "gpc")
	}
	if s.DNT {
		names = append(names, "dnt")
	}
	return strings.Join(names, ",")
}

// Notice is what is shown to ask for consent: the same words on the banner,
// the choices page and the settings, and recorded with every choice.
type Notice struct {
	Version string
	Intro   string
	// SignalNote says which purposes the browser's signal already refused;
	// empty without a signal.
	SignalNote string
	// Ask are the purposes the person is asked about.
	Ask []Purpose
	// Refused are the purposes the signal refused, not asked about.
	Refused []Purpose
}

// Counting says what is recorded without a yes to analytics: every page
// view, play, download and search is counted, with no identifier.
const Counting = "Without a yes, we still count the pages you view and what you play, download and search for, anonymously: " +
	"no identifier and no cookie, your network address cut to /24 (or /48), the family of your browser and system and the kind of device, " +
	"and never your search words. These counts serve only for overall statistics."

// Intro is the first paragraph of every notice.
const Intro = "Chorus works fully without your consent: you can browse, search, listen and download whatever you choose here. " +
	Counting + " A yes to a purpose below allows what it says, " +
	"and you can change your mind at any time under \"Privacy choices\" at the bottom of every page."

// The words of the buttons, the same wherever consent is asked.
const (
	AcceptLabel = "Accept all"
	RefuseLabel = "Refuse all"
	ChooseLabel = "Choose"
	SaveLabel   = "Save my choices"
)

// VisitorRecordRetention is how long a visitor's record is kept after it
// was made: the life of their cookie, and the rest of a year and a month
// to prove what was chosen while the data it allowed may still exist.
const VisitorRecordRetention = 395 * 24 * time.Hour

// NoticeFor is the notice for a request with signal sig under the policy
// version in force, policyVersion (store.DB.CurrentPolicy answers which).
func NoticeFor(sig Signal, policyVersion string) Notice {
	n := Notice{Version: policyVersion, Intro: Intro}
	for _, p := range Purposes {
		if sig.Refuses(p) {
			n.Refused = append(n.Refused, p)
		} else {
			n.Ask = append(n.Ask, p)
		}
	}
	if len(n.Refused) > 0 {
		name := "Global Privacy Control"
		if !sig.GPC {
			name = "Do Not Track"
		}
		n.SignalNote = "Your browser sends the " + name + " signal. We honour it: analytics and personalisation stay off, and we do not ask you about them."
	}
	return n
}

// Text is the notice as plain text: exactly what was shown, as recorded in
// the ledger with each choice.
func (n Notice) Text() string {
	var b strings.Builder
	b.WriteString("Privacy choices (policy of " + n.Version + ")\n\n")
	b.WriteString(n.Intro + "\n")
	if n.SignalNote != "" {
		b.WriteString("\n" + n.SignalNote + "\n")
	}
	for _, p := range n.Ask {
		b.WriteString("\n" + p.Label() + ": " + p.Description() + "\n")
	}
	b.WriteString("\nButtons: " + AcceptLabel + " · " + RefuseLabel + " · " + ChooseLabel + " · " + SaveLabel + "\n")
	return b.String()
}

// Decide takes a choice on a notice: given are the purposes the person said
// yes to; those not asked about are refused whatever given says. Every
// purpose ends up in exactly one of the two lists.
func (n Notice) Decide(given []Purpose) (yes, no []Purpose) {
	for _, p := range Purposes {
		if slices.Contains(n.Ask, p) && slices.Contains(given, p) {
			yes = append(yes, p)
		} else {
			no = append(no, p)
		}
	}
	return yes, no
}

// Source says where a choice was made.
type Source string

// Where choices are made.
const (
	FromBanner   Source = "banner"   // the banner on the first page visited
	FromChoices  Source = "choices"  // the privacy choices page
	FromSettings Source = "settings" // the member's privacy settings
	// FromVisit is a choice made as a visitor that became the member's when
	// they signed up or logged in on that browser.
	FromVisit Source = "visit"
	// FromAccount is a member's own choice copied to the browser they
	// logged in on, where a visitor had chosen otherwise: the member's
	// choice wins, and the browser follows it after logging out too.
	FromAccount Source = "account"
)

// Record is one entry of the consent ledger: a choice, once made, is never
// changed; a new choice is a new record.
type Record struct {
	ID int64
	// MemberID is the member who chose, 0 for a visitor.
	MemberID int64
	Given    []Purpose
	Refused  []Purpose
	// Signal is the browser's signal when the choice was made ("gpc",
	// "dnt", "gpc,dnt" or "").
	Signal        string
	PolicyVersion string
	// Wording is the notice's Text as shown.
	Wording string
	Source  Source
	// CarriedFrom is the visitor's record a FromVisit record copies; 0
	// otherwise.
	CarriedFrom int64
	CreatedAt   time.Time
}

// Gives reports whether the record says yes to p.
func (r Record) Gives(p Purpose) bool { return slices.Contains(r.Given, p) }

// Allowed decides whether p may be used for a request whose browser sent
// sig and whose latest choice is rec (nil when no choice was made): a
// signal that refuses p wins over any consent, and without a choice
// nothing is allowed.
func Allowed(sig Signal, rec *Record, p Purpose) bool {
	if sig.Refuses(p) || rec == nil {
		return false
	}
	return rec.Gives(p)
}

// Cookie is a cookie Chorus may set, as declared on the privacy choices page.
type Cookie struct {
	Name string
	// Necessary is true for cookies that are strictly necessary for what
	// the person asked for (ePrivacy Directive Art. 5(3)): they need no
	// consent and are set only when that need arises.
	Necessary bool
	Purpose   string
	Lifetime  string
}

// ConsentCookie names the cookie that holds a visitor's random consent id.
const ConsentCookie = "chorus_consent"

// ConsentCookieMaxAge is how long a visitor's choice is remembered; they are
// asked again after it (the CNIL recommends at most six months before
// asking again after a refusal).
const ConsentCookieMaxAge = 182 * 24 * time.Hour

// Cookies declares every cookie Chorus sets. No other cookie and no local
// or session storage is used, whatever the person chooses.
var Cookies = []Cookie{
	{Name: "chorus_session", Necessary: true,
		Purpose:  "Keeps you logged in, and carries a step of logging in or a one-time message to the next page. It is set only when you log in, sign up or start a sign-in, and holds a random token.",
		Lifetime: "until you log out, or after the login's idle timeout or lifetime"},
	{Name: ConsentCookie, Necessary: true,
		Purpose:  "Remembers the privacy choice you made without an account, so that we do not ask again and can prove what you chose. It is set only when you choose, and holds a random id.",
		Lifetime: "6 months"},
	{Name: AnalyticsCookie, Necessary: false,
		Purpose:  "Lets us count you once in our own statistics (distinct listeners), with a random id. It is set only after you accept analytics, never with Global Privacy Control, and is never shared.",
		Lifetime: "13 months"},
}

// AnalyticsCookie names the cookie that holds a visitor's random analytics
// id; it is set only with analytics consent.
const AnalyticsCookie = "chorus_aid"
