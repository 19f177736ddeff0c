package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// Content is what one message says. Each type below is rendered by the
// template pair its TemplateName names: NAME.txt (subject, plain text and
// why the message was sent, text/template) and NAME.html (the HTML part,
// html/template), each inside its layout.
type Content interface {
	TemplateName() string
}

// VerifyEmail asks a new member to confirm their address.
type VerifyEmail struct {
	Username string
	Link     string        // the confirmation page, with its token
	ValidFor time.Duration // how long the link works
}

// ResetPassword carries a link to choose a new password.
type ResetPassword struct {
	Username string
	Link     string
	ValidFor time.Duration
}

// PasswordChanged tells a member their password changed, so that a change
// they did not make does not go unnoticed (OWASP ASVS 5.0 V6.3.7).
type PasswordChanged struct {
	Username string
	At       time.Time
	// SessionsEnded says that logged-in browsers were logged out;
	// KeptCurrent that the browser of the change stayed logged in.
	SessionsEnded, KeptCurrent bool
}

// EmailChangeConfirm asks a member to confirm a new address; it goes to
// that new address.
type EmailChangeConfirm struct {
	Username string
	Link     string
	ValidFor time.Duration
}

// EmailChangeNotice tells the current address that a change to another
// was asked for (ASVS 5.0 V6.3.7). NewAddress is shown as given: pass it
// through MaskAddress.
type EmailChangeNotice struct {
	Username   string
	NewAddress string
}

// SecurityChanged tells a member that how they log in changed: two-factor
// turned on or off, new recovery codes, a recovery code used, a passkey
// added, so that a change they did not make does not go unnoticed (OWASP
// ASVS 5.0 V6.3.7). Change completes "On DATE, …" ("two-factor
// authentication was turned off").
type SecurityChanged struct {
	Username string
	At       time.Time
	Change   string
}

// ExportReady tells a member that the export of their data they asked
// for can be downloaded, from Link, until Expires; the link works only
// when they are logged in.
type ExportReady struct {
	Username string
	Link     string
	Expires  time.Time
}

// Notification tells a member about one event they asked to hear of by
// email (a new follower, a reply, ...). Subject is one line, Text plain
// text written by Chorus (not by other members' markup), Link the page of
// the event (absolute URL, or "").
type Notification struct {
	Username string
	// Category names the kind of event as the settings page does ("Replies").
	Category string
	Subject  string
	Text     string
	Link     string
}

// Digest gathers a day's notifications of a member in one message.
type Digest struct {
	Username string
	Items    []DigestItem
}

// DigestItem is one event in a Digest.
type DigestItem struct {
	Category, Subject, Text, Link string
	At                            time.Time
}

// Newsletter is a newsletter the member subscribed to. Text is the
// Markdown source, which reads well as plain text; HTML is its rendering,
// already sanitised.
type Newsletter struct {
	Subject string
	Text    string
	HTML    htmltemplate.HTML
}

// RequestReceived acknowledges a message sent through the contact form,
// with the Reference to quote. Due is the legal deadline of a
// data-subject request (GDPR Art. 12(3)), zero for an enquiry.
type RequestReceived struct {
	Name      string
	Reference string
	Kind      string // what was asked, as the form offered it
	Due       time.Time
}

// RequestReply is the staff's answer to a message sent through the
// contact form; Body is their text, sent as plain text.
type RequestReply struct {
	Name      string
	Reference string
	Body      string
}

// TemplateName names the template of each kind of message.
func (VerifyEmail) TemplateName() string        { return "verify_email" }
func (ResetPassword) TemplateName() string      { return "reset_password" }
func (PasswordChanged) TemplateName() string    { return "password_changed" }
func (EmailChangeConfirm) TemplateName() string { return "email_change_confirm" }
func (EmailChangeNotice) TemplateName() string  { return "email_change_notice" }
func (SecurityChanged) TemplateName() string    { return "security_changed" }
func (ExportReady) TemplateName() string        { return "export_ready" }
func (Notification) TemplateName() string       { return "notification" }
func (Digest) TemplateName() string             { return "digest" }
func (Newsletter) TemplateName() string         { return "newsletter" }
func (RequestReceived) TemplateName() string    { return "request_received" }
func (RequestReply) TemplateName() string       { return "request_reply" }

// view is what every template receives.
type view struct {
	SiteURL string
	Subject string // in the HTML <title>
	Why     string // why the message was sent, from the text template's "why"
	Data    Content
	// Unsubscribe is the one-click unsubscribe link shown at the bottom
	// of mail the member chose to receive; "" for account mail.
	Unsubscribe string
}

type templatePair struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// rendered is a message's subject and both bodies.
type rendered struct {
	Subject, Text, HTML string
}

var templateFuncs = map[string]any{
	// validFor writes a duration the way a person says it: "24 hours", "1 hour", "30 minutes".
	"validFor": func(d time.Duration) string {
		switch {
		case d >= time.Hour && d%time.Hour == 0:
			return plural(int(d/time.Hour), "hour")
		default:
			return plural(int(d.Round(time.Minute)/time.Minute), "minute")
		}
	},
	// when writes a time in UTC, which every reader can convert: "1 May 2030 at 12:00 UTC".
	"when": func(t time.Time) string { return t.UTC().Format("2 January 2006 at 15:04 UTC") },
	"button": func(url, label string) struct{ URL, Label string } {
		return struct{ URL, Label string }{url, label}
	},
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// parseTemplates reads every template pair, failing at start rather than
// when the first message of a kind is sent.
func parseTemplates() (map[string]templatePair, error) {
	names, err := fs.Glob(templateFS, "templates/*.txt")
	if err != nil {
		return nil, err
	}
	out := map[string]templatePair{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".txt")
		if name == "layout" {
			continue
		}
		text, err := texttemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.txt", "templates/"+name+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.txt: %w", name, err)
		}
		html, err := htmltemplate.New(name).Funcs(templateFuncs).Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", name, err)
		}
		for _, def := range []string{"subject", "text", "why"} {
			if text.Lookup(def) == nil {
				return nil, fmt.Errorf("mail template %s.txt defines no %q", name, def)
			}
		}
		if html.Lookup("html") == nil {
			return nil, fmt.Errorf("mail template %s.html defines no \"html\"", name)
		}
		out[name] = templatePair{text: text, html: html}
	}
	return out, nil
}

// render renders c for a site at siteURL.
func render(pairs map[string]templatePair, siteURL string, c Content, unsubscribe string) (rendered, error) {
	p, ok := pairs[c.TemplateName()]
	if !ok {
		return rendered{}, fmt.Errorf("no mail template %q", c.TemplateName())
	}
	v := view{SiteURL: siteURL, Data: c, Unsubscribe: unsubscribe}
	exec := func(name string) (string, error) {
		var b bytes.Buffer
		if err := p.text.ExecuteTemplate(&b, name, v); err != nil {
			return "", fmt.Errorf("render %s %s: %w", c.TemplateName(), name, err)
		}
		return b.String(), nil
	}
	var r rendered
	var err error
	if r.Subject, err = exec("subject"); err != nil {
		return r, err
	}
	// A subject is one line (RFC 5322 §2.2.3 folds long ones; line breaks
	// of our own would end the header).
	r.Subject = strings.Join(strings.Fields(r.Subject), " ")
	if v.Why, err = exec("why"); err != nil {
		return r, err
	}
	v.Why = strings.TrimSpace(v.Why)
	v.Subject = r.Subject
	if r.Text, err = exec("layout"); err != nil {
		return r, err
	}
	r.Text = strings.TrimLeft(r.Text, "\n")
	var b bytes.Buffer
	if err := p.html.ExecuteTemplate(&b, "layout", v); err != nil {
		return r, fmt.Errorf("render %s html: %w", c.TemplateName(), err)
	}
	r.HTML = b.String()
	return r, nil
}
