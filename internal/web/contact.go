package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"chorus/internal/auth"
	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// Limits of the contact form, in characters.
const (
	maxRequestName    = 100
	maxRequestSubject = 200
	maxRequestBody    = 10000
)

// contactForm is what the contact form page shows: the values typed and
// the message of each field refused.
type contactForm struct {
	Kind                       chorus.RequestKind
	Email, Name, Subject, Body string
	Errors                     map[string]string
	Kinds                      []chorus.RequestKind
	// Why are the data map's reasons for each field.
	Why map[string]string
}

func newContactForm() contactForm {
	why := map[string]string{}
	for _, f := range []string{"email", "name", "body"} {
		why[f] = datamap.Field("requests", f).Why
	}
	return contactForm{Kind: chorus.RequestGeneral, Kinds: chorus.RequestKinds, Why: why}
}

// contactPage shows the contact form: a comment or enquiry, or a request
// about one's personal data (GDPR Arts. 15-21). A logged-in member is
// known and gives no address.
func (s *Server) contactPage(w http.ResponseWriter, r *http.Request) error {
	f := newContactForm()
	if k := chorus.RequestKind(r.URL.Query().Get("kind")); k.Valid() {
		f.Kind = k
	}
	return s.render(w, r, http.StatusOK, "contact.html", "Contact us", f)
}

// contact records a message sent through the contact form, with its
// history's first event, and emails the sender an acknowledgement with
// its reference, all in one transaction.
func (s *Server) contact(w http.ResponseWriter, r *http.Request) error {
	f := newContactForm()
	f.Kind = chorus.RequestKind(r.PostFormValue("kind"))
	f.Name = chorus.CleanText(r.PostFormValue("name"), maxRequestName+1, false)
	f.Subject = chorus.CleanText(r.PostFormValue("subject"), maxRequestSubject+1, false)
	f.Body = chorus.CleanText(r.PostFormValue("body"), maxRequestBody+1, true)
	inv := &chorus.InvalidError{}
	if !f.Kind.Valid() {
		f.Kind = chorus.RequestGeneral
		inv.Add("kind", "Choose what your message is about.")
	}
	m := s.member(r)
	if m != nil {
		f.Email = m.Email
	} else {
		var msg string
		f.Email, msg = auth.CheckEmail(r.PostFormValue("email"))
		if msg != "" {
			inv.Add("email", msg+" We need it to answer you.")
		}
	}
	if utf8.RuneCountInString(f.Name) > maxRequestName {
		inv.Add("name", "Keep your name to 100 characters.")
	}
	if utf8.RuneCountInString(f.Subject) > maxRequestSubject {
		inv.Add("subject", "Keep the subject to 200 characters.")
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(f.Body)); {
	case n == 0:
		inv.Add("body", "Write your message.")
	case n > maxRequestBody:
		inv.Add("body", "Keep your message to 10,000 characters; you can send a second one.")
	}
	if err := inv.Err(); err != nil {
		f.Errors = inv.Fields
		if m != nil {
			f.Email = ""
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "contact.html", "Contact us", f)
	}
	var req store.Request
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		n := store.NewRequest{Kind: f.Kind, Email: f.Email, Name: f.Name, Subject: f.Subject, Body: f.Body}
		if m != nil {
			n.MemberID = m.ID
		}
		var err error
		if req, err = tx.CreateRequest(r.Context(), n); err != nil {
			return err
		}
		return s.Mail.Send(r.Context(), tx, mail.Message{To: req.Email, MemberID: n.MemberID, Content: mail.RequestReceived{
			Name: req.Name, Reference: req.Reference, Kind: strings.ToLower(req.Kind.Label()[:1]) + req.Kind.Label()[1:], Due: req.DueAt}})
	})
	if err != nil {
		return err
	}
	s.Logger.Info("request received", "request", req.ID, "kind", string(req.Kind))
	return s.render(w, r, http.StatusOK, "contact_sent.html", "Message sent", req)
}
