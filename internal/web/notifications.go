package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/notify"
	"chorus/internal/store"
)

// notificationRow is one category on the settings page.
type notificationRow struct {
	notify.Kind
	Current notify.Delivery
}

func (s *Server) settingsNotifications(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotifications(w, r, http.StatusOK, "")
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	prefs, err := s.Notify.Preferences(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	rows := make([]notificationRow, 0, len(notify.Kinds))
	for _, k := range notify.Kinds {
		rows = append(rows, notificationRow{Kind: k, Current: prefs[k.Category]})
	}
	return s.render(w, r, status, "settings_notifications.html", "Email notifications", map[string]any{
		"Rows": rows, "Newsletter": prefs[notify.Newsletter] == notify.Immediate, "Error": problem,
		"Defaults": datamap.Field("email_preferences", "delivery").Why,
	})
}

func (s *Server) saveNotifications(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	choices := map[notify.Category]notify.Delivery{notify.Newsletter: notify.Off}
	if r.PostFormValue("newsletter") != "" {
		choices[notify.Newsletter] = notify.Immediate
	}
	for _, k := range notify.Kinds {
		v := r.PostFormValue(string(k.Category))
		if v == "" {
			v = string(k.Default)
		}
		choices[k.Category] = notify.Delivery(v)
	}
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		return notify.SetPreferences(r.Context(), tx, m.ID, choices)
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return s.renderNotifications(w, r, http.StatusUnprocessableEntity, "Nothing was saved: choose off, at once, or in a daily digest for each kind of email.")
	}
	if err != nil {
		return err
	}
	s.flash(r, "Your email choices were saved.")
	http.Redirect(w, r, "/settings/notifications", http.StatusSeeOther)
	return nil
}

// unsubscribePage shows what a link from a message stops, with one button:
// opening the link changes nothing, since mail scanners open links too.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	sub, err := s.Notify.Lookup(r.Context(), r.PathValue("token"))
	if errors.Is(err, chorus.ErrNotFound) {
		return unknownUnsubscribe
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "unsubscribe.html", "Unsubscribe", map[string]any{"What": sub.What, "Token": r.PathValue("token")})
}

var unknownUnsubscribe = &chorus.SafeError{Kind: chorus.ErrNotFound,
	Safe: "This unsubscribe link is not known: it may be mistyped, or its account was deleted. Logged in, you can choose your email in Settings → Email."}

// unsubscribe is the RFC 8058 one-click POST (body
// "List-Unsubscribe=One-Click", no cookies), and the button of the
// confirm page: it turns the subscription off at once. It needs no
// login, and is exempt from the cross-origin check (see Handler): a mail
// provider or webmail posts it from another origin, and the unguessable
// token in the URL is what authorises it.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	sub, err := s.Notify.Unsubscribe(r.Context(), r.PathValue("token"))
	if errors.Is(err, chorus.ErrNotFound) {
		return unknownUnsubscribe
	}
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "unsubscribed.html", "Unsubscribed", map[string]any{"What": sub.What})
}

// Newsletters: admins write, preview, test and send them.

func (s *Server) adminNewsletters(w http.ResponseWriter, r *http.Request) error {
	return s.renderNewsletters(w, r, http.StatusOK, "", "", nil)
}

func (s *Server) renderNewsletters(w http.ResponseWriter, r *http.Request, status int, subject, body string, inv *chorus.InvalidError) error {
	list, err := s.DB.Newsletters(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_newsletters.html", "Newsletters", map[string]any{
		"Newsletters": list, "Subject": subject, "Body": body, "Invalid": inv,
	})
}

func (s *Server) createNewsletter(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	subject, body, err := notify.CheckNewsletter(r.PostFormValue("subject"), r.PostFormValue("body"))
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return s.renderNewsletters(w, r, http.StatusUnprocessableEntity, r.PostFormValue("subject"), r.PostFormValue("body"), inv)
	}
	if err != nil {
		return err
	}
	var id int64
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		id, err = tx.CreateNewsletter(r.Context(), subject, body)
		return err
	}); err != nil {
		return err
	}
	s.flash(r, "The draft was saved. Preview it below, send yourself a test, then send it.")
	http.Redirect(w, r, fmt.Sprintf("/admin/newsletters/%d", id), http.StatusSeeOther)
	return nil
}

func newsletterID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("newsletter %q: %w", r.PathValue("id"), chorus.ErrNotFound)
	}
	return id, nil
}

func (s *Server) adminNewsletter(w http.ResponseWriter, r *http.Request) error {
	id, err := newsletterID(r)
	if err != nil {
		return err
	}
	n, err := s.DB.Newsletter(r.Context(), id)
	if err != nil {
		return err
	}
	return s.renderNewsletter(w, r, http.StatusOK, n, nil)
}

func (s *Server) renderNewsletter(w http.ResponseWriter, r *http.Request, status int, n store.Newsletter, inv *chorus.InvalidError) error {
	preview, err := notify.RenderMarkdown(n.Body)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_newsletter.html", "Newsletter", map[string]any{
		"N": n, "Preview": preview, "Started": !n.SendStartedAt.IsZero(), "Invalid": inv,
	})
}

func (s *Server) saveNewsletter(w http.ResponseWriter, r *http.Request) error {
	id, err := newsletterID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	subject, body, err := notify.CheckNewsletter(r.PostFormValue("subject"), r.PostFormValue("body"))
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		n, err := s.DB.Newsletter(r.Context(), id)
		if err != nil {
			return err
		}
		n.Subject, n.Body = r.PostFormValue("subject"), r.PostFormValue("body")
		return s.renderNewsletter(w, r, http.StatusUnprocessableEntity, n, inv)
	}
	if err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.UpdateNewsletter(r.Context(), id, subject, body) })
	if errors.Is(err, chorus.ErrConflict) {
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This newsletter is being sent, so it can no longer be changed.", Err: err}
	}
	if err != nil {
		return err
	}
	s.flash(r, "Saved.")
	http.Redirect(w, r, fmt.Sprintf("/admin/newsletters/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) testNewsletter(w http.ResponseWriter, r *http.Request) error {
	id, err := newsletterID(r)
	if err != nil {
		return err
	}
	m := s.member(r)
	if err := s.Notify.SendNewsletterTest(r.Context(), id, *m); err != nil {
		return err
	}
	s.flash(r, "A test was sent to your own address.")
	http.Redirect(w, r, fmt.Sprintf("/admin/newsletters/%d", id), http.StatusSeeOther)
	return nil
}

func (s *Server) sendNewsletter(w http.ResponseWriter, r *http.Request) error {
	id, err := newsletterID(r)
	if err != nil {
		return err
	}
	n, err := s.Notify.StartNewsletter(r.Context(), id)
	if errors.Is(err, chorus.ErrConflict) {
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This newsletter was sent already: it goes to each member only once.", Err: err}
	}
	if err != nil {
		return err
	}
	s.Logger.Info("newsletter sending started", "newsletter", id, "recipients", n, "by", s.member(r).ID)
	s.flash(r, fmt.Sprintf("Sending started to %d subscribed members. The counts below show how far it is.", n))
	http.Redirect(w, r, fmt.Sprintf("/admin/newsletters/%d", id), http.StatusSeeOther)
	return nil
}
