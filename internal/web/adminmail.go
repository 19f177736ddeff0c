package web

import (
	"errors"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// adminMailPerPage is how many messages the send log lists a page.
const adminMailPerPage = 50

// adminMail lists sent and queued messages, newest first: to whom, what,
// when and how far each got.
func (s *Server) adminMail(w http.ResponseWriter, r *http.Request) error {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	list, total, err := s.DB.Outbox(r.Context(), adminMailPerPage, (page-1)*adminMailPerPage)
	if err != nil {
		return err
	}
	pages := max(1, (total+adminMailPerPage-1)/adminMailPerPage)
	if page > pages {
		return chorus.ErrNotFound
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "admin_mail.html", "Outgoing email", map[string]any{
		"Messages": list, "Total": total, "Page": page, "Pages": pages,
		"Files": s.Mail.UsesFiles(), "From": s.Mail.From(),
	})
}

// adminMailMessage shows one message as its recipient reads it in plain
// text. Only messages written as .eml files can be shown: with SMTP, a
// message's body is gone once it is sent, and while it waits it is not
// shown, since it may carry a link that resets someone's password.
func (s *Server) adminMailMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := s.outboxMessage(r)
	if err != nil {
		return err
	}
	data := map[string]any{"Message": m}
	if m.MemberID != 0 && m.EMLKey != "" {
		why, ok, err := s.accessReason(w, r, m.MemberID, "an admin read the email "+strconv.Quote(m.Subject)+" sent to the member")
		if !ok || err != nil {
			return err
		}
		data["Why"] = why
	}
	if m.EMLKey != "" {
		raw, err := s.Mail.ReadEML(m.EMLKey)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			data["Missing"] = true
		case err != nil:
			return err
		default:
			p, err := mail.Parse(raw)
			if err != nil {
				return err
			}
			// Links that verify, confirm or reset act for their recipient:
			// an admin must not be able to use them (or their .eml).
			p.Text, p.HTML = hidePersonalLinks(p.Text), hidePersonalLinks(p.HTML)
			data["Parsed"] = p
			data["Personal"] = personalLinkTemplates[m.Template]
		}
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "admin_mail_message.html", m.Subject, data)
}

// adminMailEML downloads a message's .eml file, to open in a mail program.
func (s *Server) adminMailEML(w http.ResponseWriter, r *http.Request) error {
	m, err := s.outboxMessage(r)
	if err != nil {
		return err
	}
	if personalLinkTemplates[m.Template] {
		return &chorus.SafeError{Kind: chorus.ErrForbidden, Safe: "This message carries a link that acts for its recipient (to confirm an address or reset a password), so it cannot be downloaded here. Its file is in the data directory's mail folder on the server."}
	}
	if m.MemberID != 0 {
		if _, ok, err := s.accessReason(w, r, m.MemberID, "an admin downloaded the email "+strconv.Quote(m.Subject)+" sent to the member"); !ok || err != nil {
			return err
		}
	}
	raw, err := s.Mail.ReadEML(m.EMLKey)
	if errors.Is(err, fs.ErrNotExist) {
		return chorus.ErrNotFound
	}
	if err != nil {
		return err
	}
	noStore(w)
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	h.Set("Content-Disposition", `attachment; filename="`+m.EMLKey+`"`)
	h.Set("Content-Length", strconv.Itoa(len(raw)))
	_, err = w.Write(raw)
	return err
}

// outboxMessage is the message the path's {id} names.
func (s *Server) outboxMessage(r *http.Request) (store.OutboxMessage, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.OutboxMessage{}, chorus.ErrNotFound
	}
	return s.DB.OutboxMessage(r.Context(), id)
}

// personalLinkTemplates are the messages whose link acts for the
// recipient: whoever follows it confirms their address, changes it or
// resets their password.
var personalLinkTemplates = map[string]bool{
	"verify_email": true, "reset_password": true, "email_change_confirm": true,
}

// personalLink matches the secret part of such links.
var personalLink = regexp.MustCompile(`(token=|/reset/)[A-Za-z0-9_-]{8,}`)

// hidePersonalLinks replaces the secret of every personal link in a
// message's text with dots.
func hidePersonalLinks(s string) string {
	return personalLink.ReplaceAllString(s, "${1}••••••")
}
