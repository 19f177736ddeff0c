// Package store keeps Chorus's data in SQLite or PostgreSQL through
// database/sql with hand-written SQL. Queries are written once with "?"
// placeholders; the few differences between the two dialects live in this
// file and in the per-dialect migrations.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"chorus/internal/chorus"
)

// Dialect names a supported database.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open Chorus database.
type DB struct {
	db      *sql.DB
	jobs    *sql.DB // the pool the job queue uses; one connection on SQLite
	dialect Dialect
	now     func() time.Time
	// stmts caches prepared statements by their text, for the few hot
	// statements that use it (see Tx.execPrepared); database/sql keeps
	// each prepared on every connection that ran it.
	stmts sync.Map
}

// Options configure Open.
type Options struct {
	// URL is "postgres://..." for PostgreSQL; otherwise SQLitePath is used.
	URL string
	// SQLitePath is the SQLite database file; its directory is created.
	SQLitePath string
}

// Open opens the database described by opt and checks that it answers.
// SQLite is opened in WAL mode with a busy timeout and immediate write
// transactions, so that two processes (a server and an import) can share it.
func Open(ctx context.Context, opt Options) (*DB, error) {
	if strings.HasPrefix(opt.URL, "postgres://") || strings.HasPrefix(opt.URL, "postgresql://") {
		db, err := sql.Open("pgx", opt.URL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(5)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s := &DB{db: db, jobs: db, dialect: Postgres, now: time.Now}
		if err := s.Ping(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(filepath.Dir(opt.SQLitePath), 0o750); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	dsn := sqliteDSN(opt.SQLitePath)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", opt.SQLitePath, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	// The job queue's SQLite driver wants a single connection of its own.
	jobs, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, err
	}
	jobs.SetMaxOpenConns(1)
	s := &DB{db: db, jobs: jobs, dialect: SQLite, now: time.Now}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", opt.SQLitePath, err)
	}
	return s, nil
}

// sqliteDSN opens path in WAL mode (readers never wait for the writer) with
// synchronous=NORMAL, under which a commit survives the process being
// killed (the WAL is in the operating system's hands once written) though
// not a power cut before the next checkpoint's sync (sqlite.org/wal.html,
// "Durability"); temporary tables and statement journals in memory; and a
// page cache of up to 32 MiB per connection (cache_size is in KiB when
// negative), so that the analytics indexes stay in memory while events
// are written.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(15000)", "foreign_keys(ON)", "synchronous(NORMAL)", "temp_store(MEMORY)", "cache_size(-32000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Close closes every pool.
func (s *DB) Close() error {
	err := s.db.Close()
	if s.jobs != s.db {
		err = errors.Join(err, s.jobs.Close())
	}
	return err
}

// Ping checks that the database answers a query.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Dialect reports which database this is.
func (s *DB) Dialect() Dialect { return s.dialect }

// SQL returns the underlying pool, for libraries that need database/sql
// (sessions). Chorus code uses the methods of DB and Tx instead.
func (s *DB) SQL() *sql.DB { return s.db }

// JobsSQL returns the pool the job queue runs on.
func (s *DB) JobsSQL() *sql.DB { return s.jobs }

// SetClock replaces the clock used for timestamps; tests use it to control time.
func (s *DB) SetClock(now func() time.Time) { s.now = now }

// Tx is a database transaction with its own notion of now, so that every
// row it writes carries the same time.
type Tx struct {
	tx      *sql.Tx
	db      *DB
	dialect Dialect
	Now     time.Time
}

// SQL returns the underlying transaction, for enqueueing jobs in it.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

// Tx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. On SQLite the transaction takes the write lock at BEGIN,
// so it waits for other writers instead of failing halfway.
func (s *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: s, dialect: s.dialect, Now: s.now().UTC().Truncate(time.Microsecond)}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what both DB and Tx run statements on.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rebind turns "?" placeholders into "$1, $2, ..." for PostgreSQL. Queries
// never contain a literal "?" of their own.
func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, rebind(tx.dialect, q), args...)
}

// execPrepared is exec through a statement prepared once per connection,
// for statements run very often whose parsing would cost more than
// running them.
func (tx *Tx) execPrepared(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = rebind(tx.dialect, q)
	st, ok := tx.db.stmts.Load(q)
	if !ok {
		prepared, err := tx.db.db.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		var loaded bool
		if st, loaded = tx.db.stmts.LoadOrStore(q, prepared); loaded {
			prepared.Close()
		}
	}
	return tx.tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, rebind(tx.dialect, q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, rebind(tx.dialect, q), args...)
}

func (s *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, rebind(s.dialect, q), args...)
}

func (s *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, rebind(s.dialect, q), args...)
}

func (s *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, rebind(s.dialect, q), args...)
}

// notFound turns sql.ErrNoRows into chorus.ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, chorus.ErrNotFound)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either database.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

// storable reports whether s can be a value in either database: valid
// UTF-8 without NUL (PostgreSQL refuses both in text). Lookups by a value
// that is not storable find nothing rather than fail.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
