package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
)

// Request is one message sent through the contact form: an enquiry or a
// data-subject request, with where it stands in the admins' queue.
type Request struct {
	ID int64
	// Reference is what the requester quotes ("REQ-7K3M9QXT").
	Reference string
	Kind      chorus.RequestKind
	Status    chorus.RequestStatus
	// MemberID is the member who wrote while logged in, 0 for a visitor
	// (or a member since erased).
	MemberID      int64
	Email, Name   string
	Subject, Body string
	ReceivedAt    time.Time
	UpdatedAt     time.Time
	// DueAt is the legal deadline of a data-subject request; zero for an
	// enquiry. Extended is the staff's note of an extension, if any.
	DueAt    time.Time
	Extended string
}

// NewRequest is what the contact form records.
type NewRequest struct {
	Kind          chorus.RequestKind
	MemberID      int64
	Email, Name   string
	Subject, Body string
}

// Types of request events.
const (
	EventReceived = "received"
	EventReply    = "reply"
	EventNote     = "note"
	EventStatus   = "status"
	EventExtended = "extended"
)

// RequestEvent is one step of a request's history: the requester's
// message, a reply sent, an internal note, a status change.
type RequestEvent struct {
	ID        int64
	Type      string
	AuthorID  int64 // the staff member, 0 for the requester
	Status    chorus.RequestStatus
	Body      string
	CreatedAt time.Time
}

// referenceAlphabet leaves out letters and digits people confuse (0/O, 1/I/L).
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newReference() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = referenceAlphabet[int(b[i])%len(referenceAlphabet)]
	}
	return "REQ-" + string(b)
}

// CreateRequest records a request received now, with its deadline when it
// is a data-subject request (chorus.RequestDeadline), and the first event
// of its history.
func (tx *Tx) CreateRequest(ctx context.Context, n NewRequest) (Request, error) {
	r := Request{Reference: newReference(), Kind: n.Kind, Status: chorus.RequestNew, MemberID: n.MemberID,
		Email: n.Email, Name: n.Name, Subject: n.Subject, Body: n.Body, ReceivedAt: tx.Now, UpdatedAt: tx.Now}
	var due any
	if n.Kind.SubjectRequest() {
		r.DueAt = chorus.RequestDeadline(tx.Now, 0)
		due = r.DueAt
	}
	var member any
	if n.MemberID != 0 {
		member = n.MemberID
	}
	err := tx.queryRow(ctx, `INSERT INTO requests (reference, kind, status, member_id, email, name, subject, body, received_at, due_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Reference, string(r.Kind), string(r.Status), member, r.Email, r.Name, r.Subject, r.Body, tx.Now, due, tx.Now).Scan(&r.ID)
	if err != nil {
		return r, err
	}
	return r, tx.AddRequestEvent(ctx, r.ID, RequestEvent{Type: EventReceived, Status: r.Status, Body: r.Body})
}

// AddRequestEvent appends e to the request's history; the history is
// never changed (the database refuses updates).
func (tx *Tx) AddRequestEvent(ctx context.Context, requestID int64, e RequestEvent) error {
	var author any
	if e.AuthorID != 0 {
		author = e.AuthorID
	}
	_, err := tx.exec(ctx, `INSERT INTO request_events (request_id, type, author_id, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		requestID, e.Type, author, string(e.Status), e.Body, tx.Now)
	if err == nil {
		_, err = tx.exec(ctx, `UPDATE requests SET updated_at = ? WHERE id = ?`, tx.Now, requestID)
	}
	return err
}

// SetRequestStatus changes the request's status and records the change
// in its history, by staff member author.
func (tx *Tx) SetRequestStatus(ctx context.Context, id, author int64, status chorus.RequestStatus) error {
	res, err := tx.exec(ctx, `UPDATE requests SET status = ? WHERE id = ?`, string(status), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("request %d: %w", id, chorus.ErrNotFound)
	}
	return tx.AddRequestEvent(ctx, id, RequestEvent{Type: EventStatus, AuthorID: author, Status: status})
}

// ExtendRequest moves the deadline of a data-subject request to
// RequestDeadline(received, months) and records why (GDPR Art. 12(3):
// up to two more months, the requester being told with the reasons).
func (tx *Tx) ExtendRequest(ctx context.Context, r Request, author int64, months int, why string) error {
	if !r.Kind.SubjectRequest() {
		return chorus.Invalid("Only requests about personal data have a legal deadline to extend.")
	}
	due := chorus.RequestDeadline(r.ReceivedAt, months)
	note := fmt.Sprintf("extended by %d month(s) to %s: %s", months, due.Format("2 January 2006"), why)
	if _, err := tx.exec(ctx, `UPDATE requests SET due_at = ?, extended = ? WHERE id = ?`, due, note, r.ID); err != nil {
		return err
	}
	return tx.AddRequestEvent(ctx, r.ID, RequestEvent{Type: EventExtended, AuthorID: author, Status: r.Status, Body: note})
}

const requestColumns = `id, reference, kind, status, member_id, email, name, subject, body, received_at, updated_at, due_at, extended`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var member sql.NullInt64
	var due sql.NullTime
	var kind, status string
	err := row.Scan(&r.ID, &r.Reference, &kind, &status, &member, &r.Email, &r.Name, &r.Subject, &r.Body, &r.ReceivedAt, &r.UpdatedAt, &due, &r.Extended)
	r.Kind, r.Status, r.MemberID, r.DueAt = chorus.RequestKind(kind), chorus.RequestStatus(status), member.Int64, due.Time
	return r, notFound(err, "request")
}

// Request returns the request id, or ErrNotFound.
func (s *DB) Request(ctx context.Context, id int64) (Request, error) {
	return scanRequest(s.queryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
}

// RequestFilter selects requests for the admins' queue; empty fields
// select all. SubjectOnly keeps data-subject requests only.
type RequestFilter struct {
	Status      chorus.RequestStatus
	Kind        chorus.RequestKind
	SubjectOnly bool
	Limit       int
}

// Requests lists requests matching f: open ones with the nearest deadline
// first, then the newest.
func (s *DB) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.SubjectOnly {
		where, args = append(where, "kind <> ?"), append(args, string(chorus.RequestGeneral))
	}
	q := `SELECT ` + requestColumns + ` FROM requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY CASE WHEN status IN ('new', 'in progress') THEN 0 ELSE 1 END, CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, received_at DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RequestEvents returns the history of the request, oldest first.
func (s *DB) RequestEvents(ctx context.Context, requestID int64) ([]RequestEvent, error) {
	rows, err := s.query(ctx, `SELECT id, type, author_id, status, body, created_at FROM request_events WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RequestEvent
	for rows.Next() {
		var e RequestEvent
		var author sql.NullInt64
		var status string
		if err := rows.Scan(&e.ID, &e.Type, &author, &status, &e.Body, &e.CreatedAt); err != nil {
			return nil, err
		}
		e.AuthorID, e.Status = author.Int64, chorus.RequestStatus(status)
		out = append(out, e)
	}
	return out, rows.Err()
}
