package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// Export statuses.
const (
	ExportPending = "pending"
	ExportReady   = "ready"
)

// Export is a member's request for a copy of their data.
type Export struct {
	// ID is random (32 hex digits): it names the download link.
	ID       string
	MemberID int64
	Status   string
	// FileKey is the ZIP in the file store, once ready.
	FileKey   string
	CreatedAt time.Time
	// ReadyAt and ExpiresAt are zero while the export is pending.
	ReadyAt, ExpiresAt time.Time
}

// CreateExport records a pending export for the member, unless they asked
// for one since `since`: that returns the earlier request and
// chorus.ErrConflict.
func (tx *Tx) CreateExport(ctx context.Context, memberID int64, since time.Time) (Export, error) {
	var prev Export
	err := tx.queryRow(ctx, `SELECT id, created_at FROM exports WHERE member_id = ? AND created_at > ? ORDER BY created_at DESC LIMIT 1`,
		memberID, since).Scan(&prev.ID, &prev.CreatedAt)
	if err == nil {
		return prev, fmt.Errorf("an export since %s: %w", since.Format(time.RFC3339), chorus.ErrConflict)
	}
	if err != sql.ErrNoRows {
		return prev, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	e := Export{ID: hex.EncodeToString(b), MemberID: memberID, Status: ExportPending, CreatedAt: tx.Now}
	_, err = tx.exec(ctx, `INSERT INTO exports (id, member_id, status, created_at) VALUES (?, ?, ?, ?)`, e.ID, memberID, e.Status, e.CreatedAt)
	return e, err
}

// ExportReady records that the export's ZIP is at key and can be
// downloaded until expiresAt.
func (tx *Tx) ExportReady(ctx context.Context, id, key string, expiresAt time.Time) error {
	res, err := tx.exec(ctx, `UPDATE exports SET status = ?, file_key = ?, ready_at = ?, expires_at = ? WHERE id = ?`,
		ExportReady, key, tx.Now, expiresAt.UTC().Truncate(time.Microsecond), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("export %s: %w", id, chorus.ErrNotFound)
	}
	return nil
}

// Export returns the export called id, or ErrNotFound.
func (s *DB) Export(ctx context.Context, id string) (Export, error) {
	return scanExport(s.queryRow(ctx, `SELECT `+exportColumns+` FROM exports WHERE id = ?`, id))
}

// LatestExport returns the member's newest export, or ErrNotFound.
func (s *DB) LatestExport(ctx context.Context, memberID int64) (Export, error) {
	return scanExport(s.queryRow(ctx, `SELECT `+exportColumns+` FROM exports WHERE member_id = ? ORDER BY created_at DESC LIMIT 1`, memberID))
}

// ExpiredExports returns the ready exports whose link expired before now
// and whose file is still stored.
func (s *DB) ExpiredExports(ctx context.Context, now time.Time) ([]Export, error) {
	rows, err := s.query(ctx, `SELECT `+exportColumns+` FROM exports WHERE status = ? AND file_key <> '' AND expires_at < ?`, ExportReady, now.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Export
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ForgetExportFile records that the export's file was deleted.
func (s *DB) ForgetExportFile(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `UPDATE exports SET file_key = '' WHERE id = ?`, id)
	return err
}

const exportColumns = `id, member_id, status, file_key, created_at, ready_at, expires_at`

func scanExport(row interface{ Scan(...any) error }) (Export, error) {
	var e Export
	var ready, expires sql.NullTime
	err := row.Scan(&e.ID, &e.MemberID, &e.Status, &e.FileKey, &e.CreatedAt, &ready, &expires)
	e.ReadyAt, e.ExpiresAt = ready.Time, expires.Time
	return e, notFound(err, "export")
}

// EachRow runs a query over the member's rows and calls fn with the
// column names and each row's values, one row at a time through the
// cursor: a large table is never held in memory. Text comes as string,
// times as time.Time, NULL as nil.
func (s *DB) EachRow(ctx context.Context, q string, args []any, fn func(columns []string, values []any) error) error {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for rows.Next() {
		for i := range values {
			values[i] = nil
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range values {
			if b, ok := v.([]byte); ok {
				values[i] = string(b)
			}
		}
		if err := fn(cols, values); err != nil {
			return err
		}
	}
	return rows.Err()
}
