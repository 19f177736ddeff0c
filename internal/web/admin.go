package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

const adminPageSize = 50

// adminHome is the admin's start page.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) error {
	_, members, err := s.DB.Members(r.Context(), store.MemberFilter{Limit: 1})
	if err != nil {
		return err
	}
	_, suspended, err := s.DB.Members(r.Context(), store.MemberFilter{Suspended: true, Limit: 1})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin.html", "Administration", map[string]any{"Members": members, "Suspended": suspended})
}

// adminMembers lists members with search, role filter and pages.
func (s *Server) adminMembers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.MemberFilter{Query: chorus.CleanText(q.Get("q"), 100, false), Suspended: q.Get("suspended") == "1", Limit: adminPageSize}
	if role, ok := chorus.ParseRole(q.Get("role")); ok {
		f.Role = role
	}
	p := pageNumber(r)
	f.Offset = (p - 1) * adminPageSize
	list, total, err := s.DB.Members(r.Context(), f)
	if err != nil {
		return err
	}
	prefix := url.Values{}
	if f.Query != "" {
		prefix.Set("q", f.Query)
	}
	if f.Role != "" {
		prefix.Set("role", string(f.Role))
	}
	if f.Suspended {
		prefix.Set("suspended", "1")
	}
	pre := "/admin/members?"
	if len(prefix) > 0 {
		pre += prefix.Encode() + "&"
	}
	return s.render(w, r, http.StatusOK, "admin_members.html", "Members", map[string]any{
		"Members": list, "Total": total, "Filter": f, "Roles": chorus.Roles,
		"Page": p, "Pages": (total + adminPageSize - 1) / adminPageSize, "Prefix": pre,
	})
}

// adminMemberAction changes a member's role or suspends or restores them.
func (s *Server) adminMemberAction(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return chorus.ErrNotFound
	}
	target, err := s.DB.Member(r.Context(), id)
	if err != nil {
		return err
	}
	me := s.member(r)
	action := r.PathValue("action")
	var done string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		switch action {
		case "role":
			role, ok := chorus.ParseRole(r.PostFormValue("role"))
			if !ok {
				return chorus.Invalid("Choose one of the roles: member, artist, moderator or admin.")
			}
			done = fmt.Sprintf("%s is now %s.", target.Username, role)
			return tx.SetRole(r.Context(), id, role)
		case "suspend":
			if id == me.ID {
				return chorus.Invalid("You cannot suspend yourself.")
			}
			reason := chorus.CleanText(r.PostFormValue("reason"), 501, false)
			if utf8.RuneCountInString(reason) > 500 {
				return chorus.Invalid("Keep the reason to 500 characters: it is shown to the member when they try to log in.")
			}
			done = target.Username + " is suspended and logged out everywhere."
			return tx.Suspend(r.Context(), id, reason)
		case "unsuspend":
			done = target.Username + " may log in again."
			return tx.Unsuspend(r.Context(), id)
		}
		return chorus.ErrNotFound
	})
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		s.flash(r, inv.Summary())
	} else if err != nil {
		return err
	} else {
		s.Logger.Info("admin action", "admin", me.ID, "action", action, "member", id)
		s.flash(r, done)
	}
	back := "/admin/members?q=" + url.QueryEscape(target.Username)
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
