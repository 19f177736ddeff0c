package web

import (
	"errors"
	"io"
	"net/http"
	"path"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// exportEvery is how often a member may ask for an export of their data:
// making the ZIP reads every row and file of the account.
const exportEvery = 24 * time.Hour

// startExport records the member's request for a copy of their data and
// enqueues the job that makes it, in one transaction; the member is
// emailed a link when it is ready.
func (s *Server) startExport(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		e, err := tx.CreateExport(r.Context(), m.ID, tx.Now.Add(-exportEvery))
		if err != nil {
			return err
		}
		return s.Publishing.Queue.EnqueueExport(r.Context(), tx, e.ID)
	})
	switch {
	case errors.Is(err, chorus.ErrConflict):
		s.flash(r, "You already asked for a copy of your data today. You can ask again 24 hours after your last request.")
	case err != nil:
		return err
	default:
		s.flash(r, "We are preparing a copy of your data. We will email you a link to download it when it is ready.")
	}
	http.Redirect(w, r, "/settings/data#export", http.StatusSeeOther)
	return nil
}

// downloadExport sends the ZIP of one of the member's exports. Another
// member's export, a pending one and an expired one are not found.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) error {
	e, err := s.DB.Export(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if e.MemberID != s.member(r).ID || e.Status != store.ExportReady {
		return chorus.ErrNotFound
	}
	if !s.DB.Now().Before(e.ExpiresAt) || e.FileKey == "" {
		return &chorus.SafeError{Kind: chorus.ErrNotFound, Safe: "This download link has expired. You can ask for a new copy of your data on the Your data page."}
	}
	f, err := s.Files.Open(r.Context(), e.FileKey)
	if err != nil {
		return err
	}
	defer f.Close()
	noStore(w)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(e.FileKey)+`"`)
	_, err = io.Copy(w, f)
	return err
}
