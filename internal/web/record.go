package web

import (
	"io"
	"net/http"

	"chorus/internal/datamap"
)

// adminRecord shows the record of processing activities (GDPR Art. 30),
// generated from the data map.
func (s *Server) adminRecord(w http.ResponseWriter, r *http.Request) error {
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_record.html", "Record of processing", map[string]any{"Rows": datamap.Record(register), "Processors": register, "Site": s.BaseURL})
}

// adminRecordMarkdown downloads the same record as a Markdown file.
func (s *Server) adminRecordMarkdown(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="record-of-processing.md"`)
	w.Header().Set("Cache-Control", "no-store")
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, datamap.RecordMarkdown(s.BaseURL, register))
	return err
}

// recordJSON is the record of processing as /admin/record.json gives it.
type recordJSON struct {
	Site       string               `json:"site"`
	Rows       []datamap.RecordRow  `json:"data"`
	Processors []datamap.Registered `json:"processors"`
}

// adminRecordJSON downloads the same record, with the processors
// register, as JSON.
func (s *Server) adminRecordJSON(w http.ResponseWriter, r *http.Request) error {
	register, err := s.DB.Processors(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="record-of-processing.json"`)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, recordJSON{Site: s.BaseURL, Rows: datamap.Record(register), Processors: register})
}
