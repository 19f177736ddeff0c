package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/export"
	"chorus/internal/store"
)

// legalForm is the form recording a legal request, with what was typed.
type legalForm struct {
	Authority, Reference, LegalBasis, Member, From, To string
	Categories                                         []string
	Choices                                            []datamap.Category
	Errors                                             map[string]string
}

// adminLegal lists legal requests and shows the form to record one.
func (s *Server) adminLegal(w http.ResponseWriter, r *http.Request) error {
	return s.renderLegal(w, r, http.StatusOK, legalForm{})
}

func (s *Server) renderLegal(w http.ResponseWriter, r *http.Request, status int, f legalForm) error {
	list, err := s.DB.LegalRequests(r.Context())
	if err != nil {
		return err
	}
	f.Choices = export.Categories(string(s.DB.Dialect()))
	noStore(w)
	return s.render(w, r, status, "admin_legal.html", "Legal requests", map[string]any{"Requests": list, "Form": f})
}

// createLegalRequest records a legal request from an authority, with its
// scope: one member, some data categories, a period. The access log
// records it.
func (s *Server) createLegalRequest(w http.ResponseWriter, r *http.Request) error {
	f := legalForm{
		Authority:  chorus.CleanText(r.PostFormValue("authority"), 201, false),
		Reference:  chorus.CleanText(r.PostFormValue("reference"), 201, false),
		LegalBasis: chorus.CleanText(r.PostFormValue("legal_basis"), 501, false),
		Member:     chorus.CleanText(r.PostFormValue("member"), 100, false),
		From:       strings.TrimSpace(r.PostFormValue("from")),
		To:         strings.TrimSpace(r.PostFormValue("to")),
	}
	inv := &chorus.InvalidError{}
	for _, field := range []struct{ name, value, label string }{
		{"authority", f.Authority, "the authority"}, {"reference", f.Reference, "its reference"}, {"legal_basis", f.LegalBasis, "the legal basis"}} {
		switch n := utf8.RuneCountInString(field.value); {
		case n == 0:
			inv.Add(field.name, "Give "+field.label+".")
		case n > 200 && field.name != "legal_basis", n > 500:
			inv.Add(field.name, "Shorten "+field.label+".")
		}
	}
	choices := export.Categories(string(s.DB.Dialect()))
	for _, c := range r.PostForm["category"] {
		if slices.Contains(choices, datamap.Category(c)) && !slices.Contains(f.Categories, c) {
			f.Categories = append(f.Categories, c)
		}
	}
	if len(f.Categories) == 0 {
		inv.Add("category", "Tick the data categories the request names: nothing else will be disclosed.")
	}
	from, errFrom := time.Parse(time.DateOnly, f.From)
	to, errTo := time.Parse(time.DateOnly, f.To)
	switch {
	case errFrom != nil || errTo != nil:
		inv.Add("period", "Give the period as two dates, like 2026-01-31.")
	case to.Before(from):
		inv.Add("period", "The period ends before it starts.")
	}
	var subject chorus.Member
	if f.Member == "" {
		inv.Add("member", "Give the username of the member the request is about.")
	} else {
		var err error
		subject, err = s.DB.MemberByUsername(r.Context(), f.Member)
		if errors.Is(err, chorus.ErrNotFound) {
			inv.Add("member", "No member has that username.")
		} else if err != nil {
			return err
		}
	}
	if err := inv.Err(); err != nil {
		f.Errors = inv.Fields
		return s.renderLegal(w, r, http.StatusUnprocessableEntity, f)
	}
	var l store.LegalRequest
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		l, err = tx.CreateLegalRequest(r.Context(), store.LegalRequest{Authority: f.Authority, Reference: f.Reference, LegalBasis: f.LegalBasis,
			MemberID: subject.ID, Categories: f.Categories, PeriodFrom: from, PeriodTo: to.Add(24*time.Hour - time.Microsecond), CreatedBy: s.member(r).ID})
		return err
	})
	if err != nil {
		return err
	}
	s.flash(r, "The legal request is recorded.")
	http.Redirect(w, r, fmt.Sprintf("/admin/legal/%d", l.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) legalRequestOf(r *http.Request) (store.LegalRequest, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.LegalRequest{}, chorus.ErrNotFound
	}
	return s.DB.LegalRequest(r.Context(), id)
}

// adminLegalRequest shows a legal request, its scope and its steps.
func (s *Server) adminLegalRequest(w http.ResponseWriter, r *http.Request) error {
	l, err := s.legalRequestOf(r)
	if err != nil {
		return err
	}
	steps, err := s.DB.AccessesOfLegalRequest(r.Context(), l.ID)
	if err != nil {
		return err
	}
	data := map[string]any{"Request": l, "Steps": steps}
	if l.MemberID != 0 {
		if m, err := s.DB.Member(r.Context(), l.MemberID); err == nil {
			data["Username"] = m.Username
		}
	}
	noStore(w)
	return s.render(w, r, http.StatusOK, "admin_legal_request.html", "Legal request "+l.Reference, data)
}

// legalReason is the access log's reason for a step of l.
func legalReason(l store.LegalRequest) string {
	return fmt.Sprintf("legal request #%d: %s, %s (%s)", l.ID, l.Authority, l.Reference, l.LegalBasis)
}

// produceLegalExport writes exactly the request's scope of the member's
// data (internal/export, WriteScoped) as a ZIP in the file store.
func (s *Server) produceLegalExport(w http.ResponseWriter, r *http.Request) error {
	l, err := s.legalRequestOf(r)
	if err != nil {
		return err
	}
	if l.Status != store.LegalOpen {
		return &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This legal request is closed."}
	}
	m, err := s.DB.Member(r.Context(), l.MemberID)
	if err != nil {
		return &chorus.SafeError{Kind: chorus.ErrNotFound, Err: err, Safe: "The member of this request no longer has an account: there is nothing to export."}
	}
	f, err := os.CreateTemp(s.Exporter.TempDir, "legal-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	scope := export.Scope{From: l.PeriodFrom, To: l.PeriodTo}
	for _, c := range l.Categories {
		scope.Categories = append(scope.Categories, datamap.Category(c))
	}
	if err := s.Exporter.WriteScoped(r.Context(), f, datamap.Subject{ID: m.ID, Email: m.Email, Username: m.Username}, scope); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	key := fmt.Sprintf("legal/%d/scoped-export.zip", l.ID)
	if err := s.Files.PutFile(r.Context(), key, f.Name(), "application/zip"); err != nil {
		return err
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.SetLegalExport(r.Context(), l.ID, key); err != nil {
			return err
		}
		return tx.LogAccess(r.Context(), store.Access{ActorID: s.member(r).ID, Action: store.LegalExported, SubjectID: l.MemberID, LegalRequestID: l.ID,
			What:   "an admin produced an export of " + strings.Join(l.Categories, ", ") + " from " + l.PeriodFrom.Format(time.DateOnly) + " to " + l.PeriodTo.Format(time.DateOnly),
			Reason: legalReason(l)})
	})
	if err != nil {
		return err
	}
	s.flash(r, "The scoped export is ready to download.")
	http.Redirect(w, r, fmt.Sprintf("/admin/legal/%d", l.ID), http.StatusSeeOther)
	return nil
}

// downloadLegalExport sends the scoped export, and logs that it did.
func (s *Server) downloadLegalExport(w http.ResponseWriter, r *http.Request) error {
	l, err := s.legalRequestOf(r)
	if err != nil {
		return err
	}
	if l.FileKey == "" {
		return &chorus.SafeError{Kind: chorus.ErrNotFound, Safe: "No export of this request is stored: produce it first (a closed request keeps none)."}
	}
	rd, err := s.Files.Open(r.Context(), l.FileKey)
	if err != nil {
		return err
	}
	defer rd.Close()
	err = s.DB.LogAccess(r.Context(), store.Access{ActorID: s.member(r).ID, Action: store.LegalDownloaded, SubjectID: l.MemberID, LegalRequestID: l.ID,
		What: "an admin downloaded the export of " + strings.Join(l.Categories, ", "), Reason: legalReason(l)})
	if err != nil {
		return err
	}
	noStore(w)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="legal-request-%d.zip"`, l.ID))
	_, err = io.Copy(w, rd)
	return err
}

// closeLegalRequest closes a request as answered with data or refused,
// deleting its stored export.
func (s *Server) closeLegalRequest(w http.ResponseWriter, r *http.Request) error {
	l, err := s.legalRequestOf(r)
	if err != nil {
		return err
	}
	outcome := r.PostFormValue("outcome")
	if outcome != store.LegalAnswered && outcome != store.LegalRefused {
		s.flash(r, "Choose whether the request was answered with data or refused.")
		http.Redirect(w, r, fmt.Sprintf("/admin/legal/%d", l.ID), http.StatusSeeOther)
		return nil
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.CloseLegalRequest(r.Context(), l.ID, outcome); err != nil {
			return err
		}
		return tx.LogAccess(r.Context(), store.Access{ActorID: s.member(r).ID, Action: store.LegalClosed, SubjectID: l.MemberID, LegalRequestID: l.ID,
			What: "the request was closed: " + outcome, Reason: legalReason(l)})
	})
	if errors.Is(err, chorus.ErrNotFound) {
		return &chorus.SafeError{Kind: chorus.ErrConflict, Err: err, Safe: "This legal request is closed already."}
	}
	if err != nil {
		return err
	}
	if l.FileKey != "" {
		if err := s.Files.Delete(r.Context(), l.FileKey); err != nil {
			s.Logger.Warn("delete legal export", "legal_request", l.ID, "err", err)
		}
	}
	s.flash(r, "The legal request is closed.")
	http.Redirect(w, r, fmt.Sprintf("/admin/legal/%d", l.ID), http.StatusSeeOther)
	return nil
}

// transparency is the public count of legal requests per year: received,
// answered with data, refused.
func (s *Server) transparency(w http.ResponseWriter, r *http.Request) error {
	years, err := s.DB.LegalRequestsPerYear(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "transparency.html", "Transparency", years)
}
