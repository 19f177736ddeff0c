package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// queuedRequest is a request as the admins' queue shows it.
type queuedRequest struct {
	store.Request
	// Urgency is "overdue", "due soon" or "" (chorus.Urgency).
	Urgency string
}

func (s *Server) queued(r store.Request) queuedRequest {
	q := queuedRequest{Request: r}
	if r.Status.Open() {
		q.Urgency = chorus.Urgency(r.DueAt, s.DB.Now())
	}
	return q
}

// adminRequests lists the enquiries inbox, filtered by status and kind;
// open data-subject requests come first, the nearest deadline first.
func (s *Server) adminRequests(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.RequestFilter{Limit: 200}
	if st := chorus.RequestStatus(q.Get("status")); st.Valid() {
		f.Status = st
	}
	switch k := q.Get("kind"); {
	case k == "subject":
		f.SubjectOnly = true
	case chorus.RequestKind(k).Valid():
		f.Kind = chorus.RequestKind(k)
	}
	list, err := s.DB.Requests(r.Context(), f)
	if err != nil {
		return err
	}
	var rows []queuedRequest
	for _, req := range list {
		rows = append(rows, s.queued(req))
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "admin_requests.html", "Requests", map[string]any{
		"Requests": rows, "Filter": f, "Kind": q.Get("kind"), "Kinds": chorus.RequestKinds, "Statuses": chorus.RequestStatuses})
}

// adminRequestOf loads the request named by the path's {id}.
func (s *Server) adminRequestOf(r *http.Request) (store.Request, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.Request{}, chorus.ErrNotFound
	}
	return s.DB.Request(r.Context(), id)
}

// adminRequest shows one request with its whole history and the forms to
// answer it. When a member wrote, seeing it is seeing their private data:
// the access log records it, with the request's reference as the reason.
func (s *Server) adminRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.adminRequestOf(r)
	if err != nil {
		return err
	}
	me := s.member(r)
	if req.MemberID != 0 {
		err := s.DB.LogAccess(r.Context(), store.Access{ActorID: me.ID, Action: store.AccessViewed, SubjectID: req.MemberID,
			What: "an admin read the member's message " + req.Reference + " and its history", Reason: "handling request " + req.Reference})
		if err != nil {
			return err
		}
	}
	events, err := s.DB.RequestEvents(r.Context(), req.ID)
	if err != nil {
		return err
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "admin_request.html", "Request "+req.Reference, map[string]any{
		"Request": s.queued(req), "Events": events, "Statuses": chorus.RequestStatuses})
}

// adminRequestAction answers a request (reply by email), adds an internal
// note, changes its status or extends its deadline; each is a new event
// of its history.
func (s *Server) adminRequestAction(w http.ResponseWriter, r *http.Request) error {
	req, err := s.adminRequestOf(r)
	if err != nil {
		return err
	}
	me := s.member(r)
	text := chorus.CleanText(r.PostFormValue("body"), maxRequestBody+1, true)
	long := utf8.RuneCountInString(text) > maxRequestBody
	var done string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		switch r.PathValue("action") {
		case "reply":
			if strings.TrimSpace(text) == "" || long {
				return chorus.Invalid("Write a reply of up to 10,000 characters.")
			}
			if err := tx.AddRequestEvent(r.Context(), req.ID, store.RequestEvent{Type: store.EventReply, AuthorID: me.ID, Status: req.Status, Body: text}); err != nil {
				return err
			}
			if req.Status == chorus.RequestNew {
				if err := tx.SetRequestStatus(r.Context(), req.ID, me.ID, chorus.RequestInProgress); err != nil {
					return err
				}
			}
			done = "Your reply was sent to the requester."
			return s.Mail.Send(r.Context(), tx, mail.Message{To: req.Email, MemberID: req.MemberID,
				Content: mail.RequestReply{Name: req.Name, Reference: req.Reference, Body: text}})
		case "note":
			if strings.TrimSpace(text) == "" || long {
				return chorus.Invalid("Write a note of up to 10,000 characters.")
			}
			done = "Note added."
			return tx.AddRequestEvent(r.Context(), req.ID, store.RequestEvent{Type: store.EventNote, AuthorID: me.ID, Status: req.Status, Body: text})
		case "status":
			st := chorus.RequestStatus(r.PostFormValue("status"))
			if !st.Valid() {
				return chorus.Invalid("Choose one of the statuses: new, in progress, answered or closed.")
			}
			done = "The request is now " + string(st) + "."
			return tx.SetRequestStatus(r.Context(), req.ID, me.ID, st)
		case "extend":
			months, err := strconv.Atoi(r.PostFormValue("months"))
			if err != nil || months < 1 || months > 2 {
				return chorus.Invalid("The deadline can be extended by one or two months (GDPR Art. 12(3)).")
			}
			if strings.TrimSpace(text) == "" || long {
				return chorus.Invalid("Say why the request needs longer: the requester must be told the reasons.")
			}
			done = fmt.Sprintf("The deadline is extended by %d month(s). Tell the requester why, with a reply.", months)
			return tx.ExtendRequest(r.Context(), req, me.ID, months, text)
		}
		return chorus.ErrNotFound
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		s.flash(r, inv.Summary())
	} else if err != nil {
		return err
	} else {
		s.flash(r, done)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/requests/%d", req.ID), http.StatusSeeOther)
	return nil
}
