// Package storetest opens real databases for tests: SQLite in a temporary
// directory, and PostgreSQL in a schema of its own when
// CHORUS_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver for schema setup

	"chorus/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL server for tests,
// e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "CHORUS_TEST_POSTGRES_URL"

// Dialects returns the databases tests run on: always SQLite, and
// PostgreSQL when PostgresEnv is set.
func Dialects() []store.Dialect {
	if os.Getenv(PostgresEnv) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs fn as a subtest once per dialect, each with a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, migrated database of dialect d, closed when tb ends.
func Open(tb testing.TB, d store.Dialect) *store.DB {
	tb.Helper()
	opt := store.Options{URL: URL(tb, d), SQLitePath: filepath.Join(tb.TempDir(), "chorus.db")}
	if d == store.SQLite {
		opt.URL = ""
	}
	db, err := store.Open(context.Background(), opt)
	if err != nil {
		tb.Fatalf("open %s: %v", d, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", d, err)
	}
	return db
}

// URL returns a database URL for a fresh, empty database of dialect d:
// for PostgreSQL a new schema (dropped when tb ends) selected through
// search_path; for SQLite a sqlite:// URL in a temporary directory.
func URL(tb testing.TB, d store.Dialect) string {
	tb.Helper()
	if d == store.SQLite {
		return "sqlite://" + filepath.Join(tb.TempDir(), "chorus.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Fatalf("%s is not set", PostgresEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "chorus_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema on %s: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
