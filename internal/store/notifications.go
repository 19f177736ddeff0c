package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"chorus/internal/chorus"
)

// Notification is one in-app notification of a member.
type Notification struct {
	ID       int64
	MemberID int64
	// ActorID is the member whose action caused it; 0 when no member is
	// named (a moderation decision).
	ActorID  int64
	Category string
	// Key names the event: a member gets one notification per key.
	Key string
	// Text says what happened, after the actor's name when Actor is set:
	// "replied to your comment on “Rain”".
	Text string
	// Actor is the username of the member who caused it, for the kinds
	// whose text follows it (read only; looked up when shown, so that the
	// stored text, which the export gives, names no other member).
	Actor     string
	Link      string // a path on the site, such as "/tracks/3#comment-9"
	CreatedAt time.Time
	Read      bool
}

// AddNotification stores n for n.MemberID and reports whether it is new:
// false when that member already has a notification with n.Key.
func (tx *Tx) AddNotification(ctx context.Context, n Notification) (bool, error) {
	var actor any
	if n.ActorID != 0 {
		actor = n.ActorID
	}
	res, err := tx.exec(ctx, `INSERT INTO notifications (member_id, actor_id, category, event_key, text, link, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, n.MemberID, actor, n.Category, n.Key, n.Text, n.Link, tx.Now)
	if err != nil {
		return false, err
	}
	added, err := res.RowsAffected()
	return added == 1, err
}

// Notifications returns a page of memberID's notifications, newest first:
// at most limit of them after skipping offset, and how many they have in
// all.
func (s *DB) Notifications(ctx context.Context, memberID int64, limit, offset int) ([]Notification, int, error) {
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE member_id = ?`, memberID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT `+notificationColumns+` WHERE n.member_id = ? ORDER BY n.id DESC LIMIT ? OFFSET ?`, memberID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// notificationColumns names the actor only for the kinds whose text
// follows a member's name.
const notificationColumns = `n.id, n.member_id, COALESCE(n.actor_id, 0), n.category, n.event_key, n.text,
	CASE WHEN n.category IN ('new_follower', 'comment', 'reply', 'mention') THEN COALESCE(m.username, '') ELSE '' END,
	n.link, n.created_at, n.read_at FROM notifications n LEFT JOIN members m ON m.id = n.actor_id`

func scanNotification(row rowScanner) (Notification, error) {
	var n Notification
	var read sql.NullTime
	err := row.Scan(&n.ID, &n.MemberID, &n.ActorID, &n.Category, &n.Key, &n.Text, &n.Actor, &n.Link, &n.CreatedAt, &read)
	n.Read = read.Valid
	return n, err
}

// UnreadNotifications returns how many of memberID's notifications are
// unread.
func (s *DB) UnreadNotifications(ctx context.Context, memberID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE member_id = ? AND read_at IS NULL`, memberID).Scan(&n)
	return n, err
}

// ReadNotification marks memberID's notification id read and returns it.
//
// Errors: ErrNotFound when memberID has no notification id (another
// member's is not found either).
func (tx *Tx) ReadNotification(ctx context.Context, memberID, id int64) (Notification, error) {
	if _, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND member_id = ? AND read_at IS NULL`, tx.Now, id, memberID); err != nil {
		return Notification{}, err
	}
	n, err := scanNotification(tx.queryRow(ctx, `SELECT `+notificationColumns+` WHERE n.id = ? AND n.member_id = ?`, id, memberID))
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("notification %d: %w", id, chorus.ErrNotFound)
	}
	return n, err
}

// ReadAllNotifications marks every notification of memberID read.
func (tx *Tx) ReadAllNotifications(ctx context.Context, memberID int64) error {
	_, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE member_id = ? AND read_at IS NULL`, tx.Now, memberID)
	return err
}

// Followers returns the ids of the members who follow target (an artist
// or a member), in no particular order.
func (tx *Tx) Followers(ctx context.Context, target chorus.Target) ([]int64, error) {
	col, err := targetColumn(target, chorus.OnArtist, chorus.OnMember)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, `SELECT follower_id FROM follows WHERE `+col+` = ?`, target.ID)
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

// TargetOwner returns the member whose music or page target is (the
// member of the artist of a track, album or artist; the member
// themselves), 0 for an artist with no member, and target's title.
//
// Errors: ErrNotFound.
func (tx *Tx) TargetOwner(ctx context.Context, t chorus.Target) (int64, string, error) {
	var q string
	switch t.Kind {
	case chorus.OnTrack:
		q = `SELECT COALESCE(a.member_id, 0), t.title FROM tracks t JOIN artists a ON a.id = t.artist_id WHERE t.id = ?`
	case chorus.OnAlbum:
		q = `SELECT COALESCE(a.member_id, 0), al.title FROM albums al JOIN artists a ON a.id = al.artist_id WHERE al.id = ?`
	case chorus.OnArtist:
		q = `SELECT COALESCE(member_id, 0), name FROM artists WHERE id = ?`
	case chorus.OnMember:
		q = `SELECT id, username FROM members WHERE id = ?`
	default:
		return 0, "", fmt.Errorf("target kind %q: %w", t.Kind, chorus.ErrNotFound)
	}
	var owner int64
	var title string
	err := tx.queryRow(ctx, q, t.ID).Scan(&owner, &title)
	return owner, title, notFound(err, t.Kind)
}

// MemberIDByUsername returns the id of the member called name (compared
// with chorus.UsernameKey).
//
// Errors: ErrNotFound.
func (tx *Tx) MemberIDByUsername(ctx context.Context, name string) (int64, error) {
	if !storable(name) {
		return 0, fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM members WHERE username_key = ?`, chorus.UsernameKey(name)).Scan(&id)
	return id, notFound(err, "member")
}

// CommentAuthor returns the author of comment id, 0 when erased.
//
// Errors: ErrNotFound.
func (tx *Tx) CommentAuthor(ctx context.Context, id int64) (int64, error) {
	var author int64
	err := tx.queryRow(ctx, `SELECT COALESCE(author_id, 0) FROM comments WHERE id = ?`, id).Scan(&author)
	return author, notFound(err, "comment")
}
