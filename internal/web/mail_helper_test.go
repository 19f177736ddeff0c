package web

import (
	"testing"

	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/store"
)

// testMail is a mail service that writes .eml files in a temporary folder,
// as an instance without SMTP does.
func testMail(t *testing.T, db *store.DB, baseURL string) *mail.Service {
	t.Helper()
	m, err := mail.New(db, mail.Config{BaseURL: baseURL, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// An insert-only queue: messages are queued, never delivered.
	if m.Queue, err = jobs.New(db, jobs.Config{}); err != nil {
		t.Fatal(err)
	}
	return m
}
