package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// maxAccessReason bounds the reason staff give for seeing a member's data.
const maxAccessReason = 300

// accessReason asks the staff member why they want to see a member's
// private data before showing it: the reason comes in the request's "why"
// parameter. When it is there, the access is appended to the access log
// (who, when, what, why) and ok is true; otherwise the page asking for
// it is rendered and ok is false. The member sees the entry on their Your
// data page and in their export.
func (s *Server) accessReason(w http.ResponseWriter, r *http.Request, subject int64, what string) (why string, ok bool, err error) {
	why = chorus.CleanText(r.URL.Query().Get("why"), maxAccessReason+1, false)
	problem := ""
	switch n := utf8.RuneCountInString(strings.TrimSpace(why)); {
	case n == 0 && r.URL.Query().Has("why"):
		problem = "Say why you need to see it."
	case n > maxAccessReason:
		problem = "Keep the reason to 300 characters."
	}
	if strings.TrimSpace(why) == "" || problem != "" {
		status := http.StatusOK
		if problem != "" {
			status = http.StatusUnprocessableEntity
		}
		noStore(w)
		return "", false, s.render(w, r, status, "admin_why.html", "Why do you need to see this?", map[string]any{
			"Action": r.URL.Path, "What": what, "Why": why, "Problem": problem})
	}
	err = s.DB.LogAccess(r.Context(), store.Access{ActorID: s.member(r).ID, Action: store.AccessViewed, SubjectID: subject, What: what, Reason: why})
	return why, err == nil, err
}
