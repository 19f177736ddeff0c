package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"chorus/internal/chorus"
)

// ---- Reports ----

// AddReport stores a member's report. A second report of the same thing
// by the same member counts once: it changes nothing and returns false.
func (tx *Tx) AddReport(ctx context.Context, r chorus.Report) (bool, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM reports WHERE reporter_id = ? AND kind = ? AND target_key = ?`, r.ReporterID, r.Kind, r.Key).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	var author any
	if r.AuthorID != 0 {
		author = r.AuthorID
	}
	_, err := tx.exec(ctx, `INSERT INTO reports (reporter_id, kind, target_key, author_id, reason, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ReporterID, r.Kind, r.Key, author, r.Reason, r.Details, tx.Now)
	if isUniqueViolation(err) {
		return false, nil
	}
	return err == nil, err
}

// OpenReports returns the reports no moderator has dealt with yet,
// oldest first.
func (s *DB) OpenReports(ctx context.Context) ([]chorus.Report, error) {
	rows, err := s.query(ctx, `SELECT r.id, r.reporter_id, COALESCE(m.username, ''), r.kind, r.target_key, COALESCE(r.author_id, 0), r.reason, r.details, r.created_at
		FROM reports r LEFT JOIN members m ON m.id = r.reporter_id WHERE r.closed_at IS NULL ORDER BY r.created_at, r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Report
	for rows.Next() {
		var r chorus.Report
		if err := rows.Scan(&r.ID, &r.ReporterID, &r.Reporter, &r.Kind, &r.Key, &r.AuthorID, &r.Reason, &r.Details, &r.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CloseReports marks the open reports of a piece of content dealt with.
func (tx *Tx) CloseReports(ctx context.Context, kind, key string) error {
	_, err := tx.exec(ctx, `UPDATE reports SET closed_at = ? WHERE kind = ? AND target_key = ? AND closed_at IS NULL`, tx.Now, kind, key)
	return err
}

// ---- Hidden and held content ----

const moderatedColumns = `kind, target_key, author_id, state, reason, created_at, appeal, appealed_at`

func scanModerated(row rowScanner) (chorus.Moderated, error) {
	var m chorus.Moderated
	var appealed sql.NullTime
	err := row.Scan(&m.Kind, &m.Key, &m.AuthorID, &m.State, &m.Reason, &m.CreatedAt, &m.Appeal, &appealed)
	m.AppealedAt = appealed.Time
	return m, err
}

// Moderated returns the moderation state of a comment or a review.
//
// Errors: ErrNotFound when it is plainly published.
func (s *DB) Moderated(ctx context.Context, kind, key string) (chorus.Moderated, error) {
	m, err := scanModerated(s.queryRow(ctx, `SELECT `+moderatedColumns+` FROM moderated WHERE kind = ? AND target_key = ?`, kind, key))
	return m, notFound(err, kind)
}

// ModeratedOf returns the moderation states of the comments or reviews
// (kind) called keys, by key; those plainly published are absent.
func (s *DB) ModeratedOf(ctx context.Context, kind string, keys []string) (map[string]chorus.Moderated, error) {
	out := map[string]chorus.Moderated{}
	if len(keys) == 0 {
		return out, nil
	}
	args := []any{kind}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := s.query(ctx, `SELECT `+moderatedColumns+` FROM moderated WHERE kind = ? AND target_key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanModerated(rows)
		if err != nil {
			return nil, err
		}
		out[m.Key] = m
	}
	return out, rows.Err()
}

// ModerationPending returns what waits for a moderator beside reports:
// content held for review, and hidden content whose author appealed.
func (s *DB) ModerationPending(ctx context.Context) ([]chorus.Moderated, error) {
	rows, err := s.query(ctx, `SELECT `+moderatedColumns+` FROM moderated
		WHERE state = ? OR (state = ? AND appealed_at IS NOT NULL) ORDER BY created_at`, chorus.StateHeld, chorus.StateHidden)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Moderated
	for rows.Next() {
		m, err := scanModerated(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SetModerated hides or holds a comment or a review (m.State), replacing
// any earlier state.
func (tx *Tx) SetModerated(ctx context.Context, m chorus.Moderated) error {
	if err := tx.ClearModerated(ctx, m.Kind, m.Key); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO moderated (kind, target_key, author_id, state, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.Kind, m.Key, m.AuthorID, m.State, m.Reason, tx.Now)
	return err
}

// ClearModerated publishes a comment or a review again.
func (tx *Tx) ClearModerated(ctx context.Context, kind, key string) error {
	_, err := tx.exec(ctx, `DELETE FROM moderated WHERE kind = ? AND target_key = ?`, kind, key)
	return err
}

// UpholdHiding keeps hidden content hidden after its appeal was refused:
// it leaves the queue, and cannot be appealed again.
func (tx *Tx) UpholdHiding(ctx context.Context, kind, key string) error {
	_, err := tx.exec(ctx, `UPDATE moderated SET state = 'upheld' WHERE kind = ? AND target_key = ?`, kind, key)
	return err
}

// Appeal records the author's one appeal against the hiding of their
// comment or review.
//
// Errors: ErrNotFound when it is not hidden; ErrForbidden when authorID
// is not its author; ErrConflict when they already appealed.
func (tx *Tx) Appeal(ctx context.Context, kind, key string, authorID int64, text string) error {
	var author int64
	var state string
	var appealed sql.NullTime
	err := tx.queryRow(ctx, `SELECT author_id, state, appealed_at FROM moderated WHERE kind = ? AND target_key = ?`, kind, key).Scan(&author, &state, &appealed)
	if err != nil {
		return notFound(err, kind)
	}
	switch {
	case author != authorID:
		return fmt.Errorf("appeal on %s %s by member %d: %w", kind, key, authorID, chorus.ErrForbidden)
	case appealed.Valid || state != chorus.StateHidden:
		return fmt.Errorf("appeal on %s %s: %w", kind, key, chorus.ErrConflict)
	}
	_, err = tx.exec(ctx, `UPDATE moderated SET appeal = ?, appealed_at = ? WHERE kind = ? AND target_key = ?`, text, tx.Now, kind, key)
	return err
}

// ---- The moderation log ----

// LogModeration appends an entry to the moderation log. The log is
// append-only: the database refuses to change or delete its rows.
func (tx *Tx) LogModeration(ctx context.Context, e chorus.ModerationEntry) error {
	var author any
	if e.AuthorID != 0 {
		author = e.AuthorID
	}
	_, err := tx.exec(ctx, `INSERT INTO moderation_log (created_at, moderator_id, action, kind, target_key, author_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tx.Now, e.ModeratorID, e.Action, e.Kind, e.Key, author, e.Reason)
	return err
}

// ModerationLog returns the latest limit entries of the moderation log,
// newest first.
func (s *DB) ModerationLog(ctx context.Context, limit int) ([]chorus.ModerationEntry, error) {
	rows, err := s.query(ctx, `SELECT l.id, l.created_at, l.moderator_id, COALESCE(m.username, ''), l.action, l.kind, l.target_key, COALESCE(l.author_id, 0), l.reason
		FROM moderation_log l LEFT JOIN members m ON m.id = l.moderator_id ORDER BY l.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.ModerationEntry
	for rows.Next() {
		var e chorus.ModerationEntry
		if err := rows.Scan(&e.ID, &e.CreatedAt, &e.ModeratorID, &e.Moderator, &e.Action, &e.Kind, &e.Key, &e.AuthorID, &e.Reason); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// HiddenBy returns the moderator who last hid a piece of content, from the
// log, or 0.
func (s *DB) HiddenBy(ctx context.Context, kind, key string) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT moderator_id FROM moderation_log WHERE kind = ? AND target_key = ? AND action = 'hide' ORDER BY id DESC LIMIT 1`, kind, key).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// ---- Spam signals ----

// SameComments counts the comments by authorID with exactly body posted
// since.
func (tx *Tx) SameComments(ctx context.Context, authorID int64, body string, since time.Time) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM comments WHERE author_id = ? AND body = ? AND created_at >= ?`, authorID, body, since).Scan(&n)
	return n, err
}

// ---- Blocks ----

// Block records that blocker blocked blocked, and ends blocked's follow
// of blocker; blocking twice is one block.
//
// Errors: ErrNotFound for no such member; *InvalidError for oneself.
func (tx *Tx) Block(ctx context.Context, blocker, blocked int64) error {
	if blocker == blocked {
		return chorus.Invalid("You cannot block yourself.")
	}
	if _, err := tx.Member(ctx, blocked); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blocker, blocked); err != nil {
		return err
	}
	// A blocked member stops following the blocker.
	if _, err := tx.exec(ctx, `DELETE FROM follows WHERE follower_id = ? AND member_id = ?`, blocked, blocker); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)`, blocker, blocked, tx.Now)
	return err
}

// Unblock removes blocker's block of blocked, if any.
func (tx *Tx) Unblock(ctx context.Context, blocker, blocked int64) error {
	_, err := tx.exec(ctx, `DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blocker, blocked)
	return err
}

// Blocks returns the members blocker blocked, by username.
func (s *DB) Blocks(ctx context.Context, blocker int64) ([]chorus.Block, error) {
	rows, err := s.query(ctx, `SELECT b.blocked_id, m.username, b.created_at FROM blocks b JOIN members m ON m.id = b.blocked_id
		WHERE b.blocker_id = ? ORDER BY m.username`, blocker)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Block
	for rows.Next() {
		var b chorus.Block
		if err := rows.Scan(&b.MemberID, &b.Username, &b.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Blocking reports whether blocker blocked blocked.
func (s *DB) Blocking(ctx context.Context, blocker, blocked int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blocker, blocked).Scan(&n)
	return n > 0, err
}

// BlockerNames returns the usernames of the members who blocked blocked,
// so that their names are not linked in what blocked writes.
func (s *DB) BlockerNames(ctx context.Context, blocked int64) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT m.username FROM blocks b JOIN members m ON m.id = b.blocker_id WHERE b.blocked_id = ?`, blocked)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out[u] = true
	}
	return out, rows.Err()
}

// ReviewID returns the id of memberID's review of target.
//
// Errors: ErrNotFound.
func (tx *Tx) ReviewID(ctx context.Context, memberID int64, target chorus.Target) (int64, error) {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.queryRow(ctx, `SELECT id FROM reviews WHERE member_id = ? AND `+col+` = ?`, memberID, target.ID).Scan(&id)
	return id, notFound(err, "review")
}
