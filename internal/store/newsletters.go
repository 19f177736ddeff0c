package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"chorus/internal/chorus"
)

// EmailPreferences returns the member's stored choices, category →
// delivery ("off", "immediate", "digest"); a category they never changed
// is absent and has its default.
func (tx *Tx) EmailPreferences(ctx context.Context, memberID int64) (map[string]string, error) {
	return emailPreferences(ctx, tx.query, memberID)
}

// EmailPreferences is Tx.EmailPreferences outside a transaction.
func (s *DB) EmailPreferences(ctx context.Context, memberID int64) (map[string]string, error) {
	return emailPreferences(ctx, s.query, memberID)
}

func emailPreferences(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error), memberID int64) (map[string]string, error) {
	rows, err := query(ctx, `SELECT category, delivery FROM email_preferences WHERE member_id = ?`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, d string
		if err := rows.Scan(&c, &d); err != nil {
			return nil, err
		}
		out[c] = d
	}
	return out, rows.Err()
}

// SetEmailPreference records the member's choice for one category.
func (tx *Tx) SetEmailPreference(ctx context.Context, memberID int64, category, delivery string) error {
	_, err := tx.exec(ctx, `INSERT INTO email_preferences (member_id, category, delivery, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (member_id, category) DO UPDATE SET delivery = excluded.delivery, updated_at = excluded.updated_at`,
		memberID, category, delivery, tx.Now)
	return err
}

// DigestEvent is a notification waiting for a member's daily digest.
type DigestEvent struct {
	ID        int64
	MemberID  int64
	Category  string
	Subject   string // one line
	Body      string // plain text
	Link      string // absolute URL on the site, or ""
	CreatedAt time.Time
}

// AddDigestEvent stores a notification for the member's next digest.
func (tx *Tx) AddDigestEvent(ctx context.Context, e DigestEvent) error {
	_, err := tx.exec(ctx, `INSERT INTO digest_events (member_id, category, subject, body, link, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.MemberID, e.Category, e.Subject, e.Body, e.Link, tx.Now)
	return err
}

// MembersDueDigest returns the members whose oldest waiting notification
// was stored at or before `before`.
func (s *DB) MembersDueDigest(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := s.query(ctx, `SELECT member_id FROM digest_events GROUP BY member_id HAVING MIN(created_at) <= ? ORDER BY member_id`, before.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// TakeDigestEvents deletes the member's waiting notifications and returns
// them, oldest first: queue their digest in the same transaction, so that
// each goes in exactly one digest. DELETE ... RETURNING gives each row to
// one transaction only, even when two processes send digests at once.
func (tx *Tx) TakeDigestEvents(ctx context.Context, memberID int64) ([]DigestEvent, error) {
	rows, err := tx.query(ctx, `DELETE FROM digest_events WHERE member_id = ? RETURNING id, member_id, category, subject, body, link, created_at`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DigestEvent
	for rows.Next() {
		var e DigestEvent
		if err := rows.Scan(&e.ID, &e.MemberID, &e.Category, &e.Subject, &e.Body, &e.Link, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b DigestEvent) int { return cmp.Compare(a.ID, b.ID) })
	return out, rows.Err()
}

// AddUnsubscribeToken stores the hash of an unsubscribe token that stops
// the member's mail of category.
func (tx *Tx) AddUnsubscribeToken(ctx context.Context, hash string, memberID int64, category string) error {
	_, err := tx.exec(ctx, `INSERT INTO unsubscribe_tokens (token_hash, member_id, category, created_at) VALUES (?, ?, ?, ?)`,
		hash, memberID, category, tx.Now)
	return err
}

// UnsubscribeToken returns the member and category of a token hash, or
// chorus.ErrNotFound.
func (s *DB) UnsubscribeToken(ctx context.Context, hash string) (memberID int64, category string, err error) {
	if !storable(hash) {
		return 0, "", fmt.Errorf("unsubscribe link: %w", chorus.ErrNotFound)
	}
	err = s.queryRow(ctx, `SELECT member_id, category FROM unsubscribe_tokens WHERE token_hash = ?`, hash).Scan(&memberID, &category)
	return memberID, category, notFound(err, "unsubscribe link")
}

// Newsletter is a message admins write for the members who subscribed.
type Newsletter struct {
	ID        int64
	Subject   string
	Body      string // Markdown
	CreatedAt time.Time
	UpdatedAt time.Time
	// SendStartedAt is zero until sending starts; the newsletter can no
	// longer be edited then.
	SendStartedAt time.Time
	// Counts of recipients, by where their message is.
	Pending, Queued, Sent, Failed, Skipped int
}

// Recipient statuses of a newsletter.
const (
	RecipientPending = "pending" // not handed to the outbox yet
	RecipientQueued  = "queued"  // in the outbox (see its status)
	RecipientSkipped = "skipped" // unsubscribed before their turn
)

// CreateNewsletter stores a draft and returns its id.
func (tx *Tx) CreateNewsletter(ctx context.Context, subject, body string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO newsletters (subject, body, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
		subject, body, tx.Now, tx.Now).Scan(&id)
	return id, err
}

// UpdateNewsletter changes a draft; a newsletter whose sending started
// is chorus.ErrConflict.
func (tx *Tx) UpdateNewsletter(ctx context.Context, id int64, subject, body string) error {
	res, err := tx.exec(ctx, `UPDATE newsletters SET subject = ?, body = ?, updated_at = ? WHERE id = ? AND send_started_at IS NULL`,
		subject, body, tx.Now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.newsletter(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("newsletter %d is being sent: %w", id, chorus.ErrConflict)
	}
	return nil
}

const newsletterColumns = `n.id, n.subject, n.body, n.created_at, n.updated_at, n.send_started_at,
	(SELECT COUNT(*) FROM newsletter_recipients r WHERE r.newsletter_id = n.id AND r.status = 'pending'),
	(SELECT COUNT(*) FROM newsletter_recipients r JOIN outbox o ON o.id = r.outbox_id WHERE r.newsletter_id = n.id AND o.sent_at IS NULL AND o.failed_at IS NULL),
	(SELECT COUNT(*) FROM newsletter_recipients r JOIN outbox o ON o.id = r.outbox_id WHERE r.newsletter_id = n.id AND o.sent_at IS NOT NULL),
	(SELECT COUNT(*) FROM newsletter_recipients r JOIN outbox o ON o.id = r.outbox_id WHERE r.newsletter_id = n.id AND o.failed_at IS NOT NULL),
	(SELECT COUNT(*) FROM newsletter_recipients r WHERE r.newsletter_id = n.id AND r.status = 'skipped')`

func scanNewsletter(row rowScanner) (Newsletter, error) {
	var n Newsletter
	var started sql.NullTime
	err := row.Scan(&n.ID, &n.Subject, &n.Body, &n.CreatedAt, &n.UpdatedAt, &started, &n.Pending, &n.Queued, &n.Sent, &n.Failed, &n.Skipped)
	n.SendStartedAt = started.Time
	return n, notFound(err, "newsletter")
}

// Newsletter returns one newsletter with its counts, or chorus.ErrNotFound.
func (s *DB) Newsletter(ctx context.Context, id int64) (Newsletter, error) {
	return scanNewsletter(s.queryRow(ctx, `SELECT `+newsletterColumns+` FROM newsletters n WHERE n.id = ?`, id))
}

func (tx *Tx) newsletter(ctx context.Context, id int64) (Newsletter, error) {
	return scanNewsletter(tx.queryRow(ctx, `SELECT `+newsletterColumns+` FROM newsletters n WHERE n.id = ?`, id))
}

// Newsletters returns every newsletter with its counts, newest first.
func (s *DB) Newsletters(ctx context.Context) ([]Newsletter, error) {
	rows, err := s.query(ctx, `SELECT `+newsletterColumns+` FROM newsletters n ORDER BY n.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Newsletter
	for rows.Next() {
		n, err := scanNewsletter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// StartNewsletter marks the newsletter as sending and makes one
// recipient row for each member whose preference for category is
// "immediate", whose address is confirmed and who is not suspended, and
// returns how many. Sending twice is chorus.ErrConflict.
func (tx *Tx) StartNewsletter(ctx context.Context, id int64, category string) (int, error) {
	res, err := tx.exec(ctx, `UPDATE newsletters SET send_started_at = ? WHERE id = ? AND send_started_at IS NULL`, tx.Now, id)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.newsletter(ctx, id); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("newsletter %d was sent already: %w", id, chorus.ErrConflict)
	}
	res, err = tx.exec(ctx, `INSERT INTO newsletter_recipients (newsletter_id, member_id, status)
		SELECT ?, m.id, 'pending' FROM members m JOIN email_preferences p ON p.member_id = m.id
		WHERE p.category = ? AND p.delivery = 'immediate' AND m.email_verified_at IS NOT NULL AND m.suspended_at IS NULL`, id, category)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// NewsletterRecipient is one member a newsletter still has to go to.
type NewsletterRecipient struct {
	NewsletterID, MemberID int64
}

// PendingNewsletterRecipients returns up to limit recipients still to be
// sent, oldest newsletter first.
func (s *DB) PendingNewsletterRecipients(ctx context.Context, limit int) ([]NewsletterRecipient, error) {
	rows, err := s.query(ctx, `SELECT newsletter_id, member_id FROM newsletter_recipients WHERE status = 'pending'
		ORDER BY newsletter_id, member_id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NewsletterRecipient
	for rows.Next() {
		var r NewsletterRecipient
		if err := rows.Scan(&r.NewsletterID, &r.MemberID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClaimNewsletterRecipient marks a pending recipient as status (queued or
// skipped), with the outbox message that carries it, and reports whether
// it was still pending: false means another process took it, and the
// caller must roll back whatever it queued. On PostgreSQL the row lock
// makes a second claimer wait and then see the row taken; on SQLite the
// write lock taken at BEGIN serialises them.
func (tx *Tx) ClaimNewsletterRecipient(ctx context.Context, r NewsletterRecipient, status string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE newsletter_recipients SET status = ?, done_at = ? WHERE newsletter_id = ? AND member_id = ? AND status = 'pending'`,
		status, tx.Now, r.NewsletterID, r.MemberID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetNewsletterRecipientOutbox records the outbox message that carries a
// recipient's newsletter.
func (tx *Tx) SetNewsletterRecipientOutbox(ctx context.Context, r NewsletterRecipient, outboxID int64) error {
	_, err := tx.exec(ctx, `UPDATE newsletter_recipients SET outbox_id = ? WHERE newsletter_id = ? AND member_id = ?`, outboxID, r.NewsletterID, r.MemberID)
	return err
}

// Newsletter returns one newsletter inside the transaction.
func (tx *Tx) Newsletter(ctx context.Context, id int64) (Newsletter, error) {
	return tx.newsletter(ctx, id)
}
