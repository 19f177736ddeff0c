package web

import (
	"net/http"
	"strconv"
	"strings"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// inboxPageSize is how many notifications one page of /notifications lists.
const inboxPageSize = 30

// inbox lists the member's in-app notifications, newest first, by pages.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	p := pageNumber(r)
	list, total, err := s.DB.Notifications(r.Context(), m.ID, inboxPageSize, (p-1)*inboxPageSize)
	if err != nil {
		return err
	}
	unread, err := s.DB.UnreadNotifications(r.Context(), m.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notifications.html", "Notifications", map[string]any{
		"List": list, "Unread": unread,
		"Page": p, "Pages": (total + inboxPageSize - 1) / inboxPageSize, "Prefix": "/notifications?",
	})
}

func notificationID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, chorus.ErrNotFound
	}
	return id, nil
}

// openNotification marks one of the member's notifications read and goes
// to what it is about. Another member's notification is not found.
func (s *Server) openNotification(w http.ResponseWriter, r *http.Request) error {
	n, err := s.readNotification(r)
	if err != nil {
		return err
	}
	link := n.Link
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, "/\\") {
		link = "/notifications" // stored links are paths; never leave the site
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// markNotificationRead marks one of the member's notifications read.
func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.readNotification(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

func (s *Server) readNotification(r *http.Request) (store.Notification, error) {
	id, err := notificationID(r)
	if err != nil {
		return store.Notification{}, err
	}
	var n store.Notification
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		n, err = tx.ReadNotification(r.Context(), s.member(r).ID, id)
		return err
	})
	return n, err
}

// markAllNotificationsRead marks every notification of the member read.
func (s *Server) markAllNotificationsRead(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.ReadAllNotifications(r.Context(), m.ID) }); err != nil {
		return err
	}
	s.flash(r, "All your notifications are marked read.")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}
