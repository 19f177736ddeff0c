package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// NewOutboxMessage is a message to send, already rendered.
type NewOutboxMessage struct {
	MemberID int64 // the member it concerns; 0 for none
	To       string
	Template string // the template it was rendered from ("verify_email")
	Subject  string
	// Body is the whole message as it goes on the wire (RFC 5322 headers
	// and MIME body).
	Body []byte
}

// OutboxMessage is one row of the send log.
type OutboxMessage struct {
	ID       int64
	MemberID int64 // 0 when none, or when the member was deleted
	To       string
	Template string
	Subject  string
	// Body is the message until it is sent or given up; then it is
	// cleared, since it may hold a link that logs in or resets a password.
	Body []byte
	// EMLKey names the .eml file the message was written to, when mail
	// goes to files rather than SMTP.
	EMLKey    string
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
	FailedAt  time.Time // zero unless the queue gave up
	Attempts  int
	LastError string
}

// OutboxStatus is where a message is on its way.
type OutboxStatus string

// The states of an outgoing message.
const (
	OutboxQueued   OutboxStatus = "queued"   // not tried yet
	OutboxRetrying OutboxStatus = "retrying" // tried, failed, will be tried again
	OutboxSent     OutboxStatus = "sent"
	OutboxFailed   OutboxStatus = "failed" // given up
)

// Status says where the message is on its way.
func (m OutboxMessage) Status() OutboxStatus {
	switch {
	case !m.SentAt.IsZero():
		return OutboxSent
	case !m.FailedAt.IsZero():
		return OutboxFailed
	case m.Attempts > 0:
		return OutboxRetrying
	}
	return OutboxQueued
}

// InsertOutbox stores a message to send and returns its id. Insert it in
// the transaction of the change that causes it, with its send job.
func (tx *Tx) InsertOutbox(ctx context.Context, m NewOutboxMessage) (int64, error) {
	var member sql.NullInt64
	if m.MemberID != 0 {
		member = sql.NullInt64{Int64: m.MemberID, Valid: true}
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO outbox (member_id, to_address, template, subject, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, member, m.To, m.Template, m.Subject, m.Body, tx.Now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("queue message: %w", err)
	}
	return id, nil
}

const outboxColumns = `id, member_id, to_address, template, subject, eml_key, created_at, sent_at, failed_at, attempts, last_error`

func scanOutbox(row rowScanner, extra ...any) (OutboxMessage, error) {
	var m OutboxMessage
	var member sql.NullInt64
	var sent, failed sql.NullTime
	dest := append([]any{&m.ID, &member, &m.To, &m.Template, &m.Subject, &m.EMLKey, &m.CreatedAt, &sent, &failed,
		&m.Attempts, &m.LastError}, extra...)
	if err := row.Scan(dest...); err != nil {
		return m, err
	}
	m.MemberID, m.SentAt, m.FailedAt = member.Int64, sent.Time, failed.Time
	return m, nil
}

// OutboxMessage returns the message with its body, or chorus.ErrNotFound.
func (s *DB) OutboxMessage(ctx context.Context, id int64) (OutboxMessage, error) {
	var body []byte
	m, err := scanOutbox(s.queryRow(ctx, `SELECT `+outboxColumns+`, body FROM outbox WHERE id = ?`, id), &body)
	m.Body = body
	return m, notFound(err, "message")
}

// MarkOutboxSent records a delivery: the time, the .eml file it went to
// ("" for SMTP), one more attempt; the body is cleared.
func (s *DB) MarkOutboxSent(ctx context.Context, id int64, emlKey string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE outbox SET sent_at = ?, eml_key = ?, body = ?, attempts = attempts + 1, last_error = ''
			WHERE id = ?`, tx.Now, emlKey, []byte{}, id)
		if err != nil {
			return err
		}
		return oneRow(res, "message")
	})
}

// MarkOutboxFailed records a failed attempt and its error (as the admin
// page shows it: no secrets). When final, the queue has given up: the time
// is recorded and the body cleared.
func (s *DB) MarkOutboxFailed(ctx context.Context, id int64, reason string, final bool) error {
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	return s.Tx(ctx, func(tx *Tx) error {
		q := `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`
		args := []any{reason, id}
		if final {
			q = `UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?, body = ? WHERE id = ?`
			args = []any{reason, tx.Now, []byte{}, id}
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		return oneRow(res, "message")
	})
}

// Outbox lists messages newest first, without their bodies, limit at a
// time from offset, and returns how many there are in all.
func (s *DB) Outbox(ctx context.Context, limit, offset int) ([]OutboxMessage, int, error) {
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}
