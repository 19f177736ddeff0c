package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
)

// Access-log actions.
const (
	// AccessViewed: a staff member saw a member's private data.
	AccessViewed = "viewed"
	// The steps of a legal request.
	LegalRecorded   = "legal request recorded"
	LegalExported   = "legal export produced"
	LegalDownloaded = "legal export downloaded"
	LegalClosed     = "legal request closed"
)

// Access is one entry of the access log.
type Access struct {
	ID        int64
	CreatedAt time.Time
	// ActorID is the staff member who acted.
	ActorID int64
	Action  string
	// SubjectID is the member whose data it was, 0 for none.
	SubjectID int64
	// What names the data seen, Reason why (the staff's words, or the
	// reference of a request or case).
	What, Reason   string
	LegalRequestID int64
}

// LogAccess appends a to the access log. The log is append-only: Chorus
// has no code that changes or deletes its rows, and the database refuses
// both (triggers on SQLite and PostgreSQL).
func (tx *Tx) LogAccess(ctx context.Context, a Access) error {
	if a.ActorID == 0 || a.Action == "" || a.What == "" || strings.TrimSpace(a.Reason) == "" {
		return fmt.Errorf("access log entry %+v: actor, action, what and reason are required", a)
	}
	var subject, legal any
	if a.SubjectID != 0 {
		subject = a.SubjectID
	}
	if a.LegalRequestID != 0 {
		legal = a.LegalRequestID
	}
	_, err := tx.exec(ctx, `INSERT INTO access_log (created_at, actor_id, action, subject_id, what, reason, legal_request_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tx.Now, a.ActorID, a.Action, subject, a.What, a.Reason, legal)
	return err
}

// LogAccess appends a to the access log in a transaction of its own.
func (s *DB) LogAccess(ctx context.Context, a Access) error {
	return s.Tx(ctx, func(tx *Tx) error { return tx.LogAccess(ctx, a) })
}

const accessColumns = `id, created_at, actor_id, action, subject_id, what, reason, legal_request_id`

func (s *DB) accesses(ctx context.Context, where string, args ...any) ([]Access, error) {
	rows, err := s.query(ctx, `SELECT `+accessColumns+` FROM access_log WHERE `+where+` ORDER BY id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		var a Access
		var subject, legal sql.NullInt64
		if err := rows.Scan(&a.ID, &a.CreatedAt, &a.ActorID, &a.Action, &subject, &a.What, &a.Reason, &legal); err != nil {
			return nil, err
		}
		a.SubjectID, a.LegalRequestID = subject.Int64, legal.Int64
		out = append(out, a)
	}
	return out, rows.Err()
}

// AccessesTo returns the latest 500 entries about the member, newest first.
func (s *DB) AccessesTo(ctx context.Context, memberID int64) ([]Access, error) {
	return s.accesses(ctx, `subject_id = ?`, memberID)
}

// AccessesOfLegalRequest returns the steps of a legal request, newest first.
func (s *DB) AccessesOfLegalRequest(ctx context.Context, id int64) ([]Access, error) {
	return s.accesses(ctx, `legal_request_id = ?`, id)
}

// Legal request statuses: open, answered with data, refused.
const (
	LegalOpen     = "open"
	LegalAnswered = "answered"
	LegalRefused  = "refused"
)

// LegalRequest is a request from an authority for a member's data, with
// its scope: the member, data categories (Fides names) and the period.
type LegalRequest struct {
	ID                               int64
	Authority, Reference, LegalBasis string
	MemberID                         int64
	Categories                       []string
	// PeriodFrom and PeriodTo bound the rows disclosed, inclusive.
	PeriodFrom, PeriodTo time.Time
	Status               string
	// FileKey is the scoped export in the file store, until closed.
	FileKey   string
	CreatedBy int64
	CreatedAt time.Time
	ClosedAt  time.Time
}

// CreateLegalRequest records l and the step in the access log.
func (tx *Tx) CreateLegalRequest(ctx context.Context, l LegalRequest) (LegalRequest, error) {
	l.Status, l.CreatedAt = LegalOpen, tx.Now
	err := tx.queryRow(ctx, `INSERT INTO legal_requests (authority, reference, legal_basis, member_id, categories, period_from, period_to, status, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		l.Authority, l.Reference, l.LegalBasis, l.MemberID, strings.Join(l.Categories, ","), l.PeriodFrom.UTC(), l.PeriodTo.UTC(), l.Status, l.CreatedBy, tx.Now).Scan(&l.ID)
	if err != nil {
		return l, err
	}
	return l, tx.LogAccess(ctx, Access{ActorID: l.CreatedBy, Action: LegalRecorded, SubjectID: l.MemberID, LegalRequestID: l.ID,
		What:   "scope: " + strings.Join(l.Categories, ", ") + " from " + l.PeriodFrom.Format(time.DateOnly) + " to " + l.PeriodTo.Format(time.DateOnly),
		Reason: l.Authority + ", " + l.Reference + " (" + l.LegalBasis + ")"})
}

// SetLegalExport records the key of the legal request's scoped export.
func (tx *Tx) SetLegalExport(ctx context.Context, id int64, key string) error {
	_, err := tx.exec(ctx, `UPDATE legal_requests SET file_key = ? WHERE id = ?`, key, id)
	return err
}

// CloseLegalRequest closes it as answered or refused and forgets its file.
func (tx *Tx) CloseLegalRequest(ctx context.Context, id int64, status string) error {
	res, err := tx.exec(ctx, `UPDATE legal_requests SET status = ?, closed_at = ?, file_key = '' WHERE id = ? AND status = ?`, status, tx.Now, id, LegalOpen)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("open legal request %d: %w", id, chorus.ErrNotFound)
	}
	return nil
}

const legalColumns = `id, authority, reference, legal_basis, member_id, categories, period_from, period_to, status, file_key, created_by, created_at, closed_at`

func scanLegal(row interface{ Scan(...any) error }) (LegalRequest, error) {
	var l LegalRequest
	var member sql.NullInt64
	var closed sql.NullTime
	var cats string
	err := row.Scan(&l.ID, &l.Authority, &l.Reference, &l.LegalBasis, &member, &cats, &l.PeriodFrom, &l.PeriodTo, &l.Status, &l.FileKey, &l.CreatedBy, &l.CreatedAt, &closed)
	l.MemberID, l.ClosedAt = member.Int64, closed.Time
	if cats != "" {
		l.Categories = strings.Split(cats, ",")
	}
	return l, notFound(err, "legal request")
}

// LegalRequest returns the legal request id, or ErrNotFound.
func (s *DB) LegalRequest(ctx context.Context, id int64) (LegalRequest, error) {
	return scanLegal(s.queryRow(ctx, `SELECT `+legalColumns+` FROM legal_requests WHERE id = ?`, id))
}

// LegalRequests lists the latest 200 legal requests, newest first.
func (s *DB) LegalRequests(ctx context.Context) ([]LegalRequest, error) {
	rows, err := s.query(ctx, `SELECT `+legalColumns+` FROM legal_requests ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LegalRequest
	for rows.Next() {
		l, err := scanLegal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// LegalYear counts the legal requests received in one year (UTC), for the
// transparency page.
type LegalYear struct {
	Year                        int
	Received, Answered, Refused int
}

// LegalRequestsPerYear counts legal requests per year received, newest
// year first.
func (s *DB) LegalRequestsPerYear(ctx context.Context) ([]LegalYear, error) {
	rows, err := s.query(ctx, `SELECT created_at, status FROM legal_requests ORDER BY created_at DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LegalYear
	for rows.Next() {
		var at time.Time
		var status string
		if err := rows.Scan(&at, &status); err != nil {
			return nil, err
		}
		y := at.UTC().Year()
		if len(out) == 0 || out[len(out)-1].Year != y {
			out = append(out, LegalYear{Year: y})
		}
		c := &out[len(out)-1]
		c.Received++
		switch status {
		case LegalAnswered:
			c.Answered++
		case LegalRefused:
			c.Refused++
		}
	}
	return out, rows.Err()
}

// ProofKept is how long the records that prove compliance are kept: the
// access log, answered or closed requests with their history, and closed
// legal requests (the data map's keptAsProof).
const ProofKept = 3 * 365 * 24 * time.Hour

// DeleteExpiredProof deletes the access log entries older than
// ProofKept at now, the requests answered or closed that long ago with
// their history, and the legal requests closed that long ago; it returns
// how many rows it deleted. The database refuses to delete younger
// access log entries.
func (s *DB) DeleteExpiredProof(ctx context.Context, now time.Time) (int64, error) {
	cutoff := now.UTC().Add(-ProofKept)
	var total int64
	err := s.Tx(ctx, func(tx *Tx) error {
		old := `SELECT id FROM requests WHERE status IN ('answered', 'closed') AND updated_at < ?`
		for _, q := range []string{
			`DELETE FROM access_log WHERE created_at < ?`,
			`DELETE FROM request_events WHERE request_id IN (` + old + `)`,
			`DELETE FROM requests WHERE id IN (` + old + `)`,
			`DELETE FROM legal_requests WHERE status <> 'open' AND closed_at < ?`,
		} {
			res, err := tx.exec(ctx, q, cutoff)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
