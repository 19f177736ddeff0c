package web

import (
	"path/filepath"
	"testing"

	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/pro"
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

// testVault is a PRO vault with a fresh keyset of its own.
func testVault(t *testing.T) *pro.Vault {
	t.Helper()
	v, _, err := pro.OpenVault(filepath.Join(t.TempDir(), "pro-keyset.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
