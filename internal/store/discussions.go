package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"chorus/internal/chorus"
)

// ---- Categories ----

// categoryColumns reads a category with its thread count and the time of
// its latest post, through the thread most recently posted in (a real
// column, so that both drivers scan it as a time).
const categoryColumns = `c.id, c.slug, c.name, c.description, c.position, c.archived_at IS NOT NULL,
	(SELECT COUNT(*) FROM discussion_threads t WHERE t.category_id = c.id), lt.last_post_at
	FROM discussion_categories c
	LEFT JOIN discussion_threads lt ON lt.id = (SELECT t.id FROM discussion_threads t WHERE t.category_id = c.id ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1) `

func scanCategory(row rowScanner) (chorus.Category, error) {
	var c chorus.Category
	var last sql.NullTime
	if err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.Description, &c.Position, &c.Archived, &c.Threads, &last); err != nil {
		return c, err
	}
	if last.Valid {
		c.LastActivity = last.Time
	}
	return c, nil
}

// Categories returns the discussion categories in their order, archived
// ones included when archived is true.
func (s *DB) Categories(ctx context.Context, archived bool) ([]chorus.Category, error) {
	q := `SELECT ` + categoryColumns
	if !archived {
		q += `WHERE c.archived_at IS NULL `
	}
	rows, err := s.query(ctx, q+`ORDER BY c.position, c.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CategoryBySlug returns the category called slug, archived or not.
//
// Errors: ErrNotFound.
func (s *DB) CategoryBySlug(ctx context.Context, slug string) (chorus.Category, error) {
	if !storable(slug) {
		return chorus.Category{}, fmt.Errorf("category: %w", chorus.ErrNotFound)
	}
	c, err := scanCategory(s.queryRow(ctx, `SELECT `+categoryColumns+`WHERE c.slug = ?`, slug))
	return c, notFound(err, "category")
}

// CreateCategory adds a category at the end of the list and returns its id.
//
// Errors: ErrConflict when slug is taken.
func (tx *Tx) CreateCategory(ctx context.Context, slug, name, description string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO discussion_categories (slug, name, description, position, created_at)
		VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM discussion_categories), ?) RETURNING id`,
		slug, name, description, tx.Now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, fmt.Errorf("category %q: %w", slug, chorus.ErrConflict)
	}
	return id, err
}

// UpdateCategory renames and describes category id; its slug stays, so
// that links to it keep working.
//
// Errors: ErrNotFound.
func (tx *Tx) UpdateCategory(ctx context.Context, id int64, name, description string) error {
	return affected(tx.exec(ctx, `UPDATE discussion_categories SET name = ?, description = ? WHERE id = ?`, name, description, id))
}

// ArchiveCategory archives category id (it stays readable, takes no new
// threads or replies) or, with archived false, opens it again.
//
// Errors: ErrNotFound.
func (tx *Tx) ArchiveCategory(ctx context.Context, id int64, archived bool) error {
	if archived {
		return affected(tx.exec(ctx, `UPDATE discussion_categories SET archived_at = ? WHERE id = ?`, tx.Now, id))
	}
	return affected(tx.exec(ctx, `UPDATE discussion_categories SET archived_at = NULL WHERE id = ?`, id))
}

// MoveCategory swaps category id with its neighbour, up (towards the
// top) or down; at either end it does nothing.
//
// Errors: ErrNotFound.
func (tx *Tx) MoveCategory(ctx context.Context, id int64, up bool) error {
	var pos int
	if err := tx.queryRow(ctx, `SELECT position FROM discussion_categories WHERE id = ?`, id).Scan(&pos); err != nil {
		return notFound(err, "category")
	}
	q := `SELECT id, position FROM discussion_categories WHERE position > ? OR (position = ? AND id > ?) ORDER BY position, id LIMIT 1`
	if up {
		q = `SELECT id, position FROM discussion_categories WHERE position < ? OR (position = ? AND id < ?) ORDER BY position DESC, id DESC LIMIT 1`
	}
	var other int64
	var otherPos int
	err := tx.queryRow(ctx, q, pos, pos, id).Scan(&other, &otherPos)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if otherPos == pos { // equal positions: make them distinct first
		if up {
			pos++
		} else {
			otherPos++
		}
	}
	if _, err := tx.exec(ctx, `UPDATE discussion_categories SET position = ? WHERE id = ?`, otherPos, id); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE discussion_categories SET position = ? WHERE id = ?`, pos, other)
	return err
}

// affected turns an update that changed no row into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return chorus.ErrNotFound
	}
	return nil
}

// ---- Threads ----

// threadColumns reads a thread for the member bound to its first "?"
// (0 for a visitor): the posts after their read marker are unread.
const threadColumns = threadFields + threadFrom

const threadFields = `t.id, t.category_id, c.slug, COALESCE(t.author_id, 0), COALESCE(m.username, ''), t.title, t.created_at, t.last_post_at,
	t.pinned, t.locked,
	(SELECT COUNT(*) FROM discussion_posts p WHERE p.thread_id = t.id),
	(SELECT COUNT(*) FROM discussion_posts p WHERE p.thread_id = t.id AND p.id > COALESCE(r.last_post_id, 0) AND p.deleted_at IS NULL),
	COALESCE((SELECT MIN(p.id) FROM discussion_posts p WHERE p.thread_id = t.id AND p.id > COALESCE(r.last_post_id, 0)), 0),
	r.member_id IS NOT NULL`

const threadFrom = ` FROM discussion_threads t
	JOIN discussion_categories c ON c.id = t.category_id
	LEFT JOIN members m ON m.id = t.author_id
	LEFT JOIN discussion_reads r ON r.thread_id = t.id AND r.member_id = ? `

func scanThread(row rowScanner) (chorus.Thread, error) {
	var t chorus.Thread
	err := row.Scan(&t.ID, &t.CategoryID, &t.Category, &t.AuthorID, &t.Author, &t.Title, &t.CreatedAt, &t.LastPostAt,
		&t.Pinned, &t.Locked, &t.Posts, &t.Unread, &t.FirstUnread, &t.Seen)
	return t, err
}

func (s *DB) threads(ctx context.Context, q string, args ...any) ([]chorus.Thread, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Thread
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Threads returns page (from 1) of the threads of category, pinned ones
// first, then by latest post, as memberID (0 for a visitor) sees them,
// and the number of pages (chorus.PostsPerPage threads each; at least 1).
func (s *DB) Threads(ctx context.Context, categoryID, memberID int64, page int) ([]chorus.Thread, int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM discussion_threads WHERE category_id = ?`, categoryID).Scan(&n); err != nil {
		return nil, 0, err
	}
	list, err := s.threads(ctx, `SELECT `+threadColumns+`WHERE t.category_id = ?
		ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC LIMIT ? OFFSET ?`,
		memberID, categoryID, chorus.PostsPerPage, offset(page))
	return list, pages(n), err
}

func offset(page int) int {
	if page < 1 {
		page = 1
	}
	return (page - 1) * chorus.PostsPerPage
}

func pages(n int) int {
	if n == 0 {
		return 1
	}
	return (n + chorus.PostsPerPage - 1) / chorus.PostsPerPage
}

// Thread returns thread id as memberID (0 for a visitor) sees it.
//
// Errors: ErrNotFound.
func (s *DB) Thread(ctx context.Context, id, memberID int64) (chorus.Thread, error) {
	t, err := scanThread(s.queryRow(ctx, `SELECT `+threadColumns+`WHERE t.id = ?`, memberID, id))
	return t, notFound(err, "thread")
}

// CreateThread opens a thread in categoryID by authorID with its first
// post, and returns the ids of both.
//
// Errors: ErrNotFound for a missing category; *InvalidError for an
// archived one.
func (tx *Tx) CreateThread(ctx context.Context, categoryID, authorID int64, title, body string) (threadID, postID int64, err error) {
	var archived bool
	if err := tx.queryRow(ctx, `SELECT archived_at IS NOT NULL FROM discussion_categories WHERE id = ?`, categoryID).Scan(&archived); err != nil {
		return 0, 0, notFound(err, "category")
	}
	if archived {
		return 0, 0, chorus.Invalid("This category is archived: it takes no new threads.")
	}
	if err := tx.queryRow(ctx, `INSERT INTO discussion_threads (category_id, author_id, title, created_at, last_post_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, categoryID, authorID, title, tx.Now, tx.Now).Scan(&threadID); err != nil {
		return 0, 0, err
	}
	postID, err = tx.addPost(ctx, threadID, authorID, body)
	return threadID, postID, err
}

// ErrLocked is the refusal of a reply to a locked thread.
var ErrLocked = &chorus.SafeError{Kind: chorus.ErrConflict, Safe: "This thread is locked by a moderator: it takes no new replies."}

// Reply adds a post by authorID to thread id and returns its id; the
// author's read marker moves to it.
//
// Errors: ErrNotFound; ErrLocked for a locked thread; *InvalidError when
// the thread's category is archived.
func (tx *Tx) Reply(ctx context.Context, threadID, authorID int64, body string) (int64, error) {
	var locked, archived bool
	if err := tx.queryRow(ctx, `SELECT t.locked, c.archived_at IS NOT NULL FROM discussion_threads t
		JOIN discussion_categories c ON c.id = t.category_id WHERE t.id = ?`, threadID).Scan(&locked, &archived); err != nil {
		return 0, notFound(err, "thread")
	}
	if locked {
		return 0, ErrLocked
	}
	if archived {
		return 0, chorus.Invalid("This thread's category is archived: it takes no new replies.")
	}
	id, err := tx.addPost(ctx, threadID, authorID, body)
	if err != nil {
		return 0, err
	}
	_, err = tx.exec(ctx, `UPDATE discussion_threads SET last_post_at = ? WHERE id = ?`, tx.Now, threadID)
	return id, err
}

func (tx *Tx) addPost(ctx context.Context, threadID, authorID int64, body string) (int64, error) {
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO discussion_posts (thread_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		threadID, authorID, body, tx.Now).Scan(&id); err != nil {
		return 0, err
	}
	return id, tx.MarkRead(ctx, authorID, threadID, id)
}

// MarkRead moves memberID's read marker of threadID forward to
// lastPostID; it never moves back.
func (tx *Tx) MarkRead(ctx context.Context, memberID, threadID, lastPostID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO discussion_reads (member_id, thread_id, last_post_id) VALUES (?, ?, ?)
		ON CONFLICT (member_id, thread_id) DO UPDATE SET last_post_id = excluded.last_post_id
		WHERE discussion_reads.last_post_id < excluded.last_post_id`, memberID, threadID, lastPostID)
	return err
}

// SetThread applies a moderator's action (chorus.ActionPin, ActionUnpin,
// ActionLock, ActionUnlock) by actorID to thread id, and records it in
// the thread.
//
// Errors: ErrNotFound.
func (tx *Tx) SetThread(ctx context.Context, id, actorID int64, action string) error {
	var set string
	switch action {
	case chorus.ActionPin:
		set = `pinned = TRUE`
	case chorus.ActionUnpin:
		set = `pinned = FALSE`
	case chorus.ActionLock:
		set = `locked = TRUE`
	case chorus.ActionUnlock:
		set = `locked = FALSE`
	default:
		return fmt.Errorf("thread action %q: %w", action, chorus.ErrNotFound)
	}
	if err := affected(tx.exec(ctx, `UPDATE discussion_threads SET `+set+` WHERE id = ?`, id)); err != nil {
		return err
	}
	return tx.threadEvent(ctx, id, actorID, action, 0)
}

func (tx *Tx) threadEvent(ctx context.Context, threadID, actorID int64, action string, postID int64) error {
	var post any
	if postID != 0 {
		post = postID
	}
	_, err := tx.exec(ctx, `INSERT INTO discussion_events (thread_id, actor_id, action, post_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		threadID, actorID, action, post, tx.Now)
	return err
}

// ThreadEvents returns the moderators' actions on thread id, oldest first.
func (s *DB) ThreadEvents(ctx context.Context, id int64) ([]chorus.ThreadEvent, error) {
	rows, err := s.query(ctx, `SELECT action, COALESCE(post_id, 0), created_at FROM discussion_events WHERE thread_id = ? ORDER BY created_at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.ThreadEvent
	for rows.Next() {
		var e chorus.ThreadEvent
		if err := rows.Scan(&e.Action, &e.PostID, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- Posts ----

const postColumns = `p.id, p.thread_id, COALESCE(p.author_id, 0), COALESCE(m.username, ''), p.body, p.created_at, p.edited_at, p.deleted_at, p.deleted_by
	FROM discussion_posts p LEFT JOIN members m ON m.id = p.author_id `

func scanPost(row rowScanner) (chorus.Post, error) {
	var p chorus.Post
	var edited, deleted sql.NullTime
	if err := row.Scan(&p.ID, &p.ThreadID, &p.AuthorID, &p.Author, &p.Body, &p.CreatedAt, &edited, &deleted, &p.DeletedBy); err != nil {
		return p, err
	}
	if edited.Valid {
		p.EditedAt = edited.Time
	}
	p.Deleted = deleted.Valid
	return p, nil
}

// Post returns post id.
//
// Errors: ErrNotFound.
func (s *DB) Post(ctx context.Context, id int64) (chorus.Post, error) {
	p, err := scanPost(s.queryRow(ctx, `SELECT `+postColumns+`WHERE p.id = ?`, id))
	return p, notFound(err, "post")
}

// Posts returns page (from 1) of the posts of thread id, oldest first,
// chorus.PostsPerPage a page.
func (s *DB) Posts(ctx context.Context, threadID int64, page int) ([]chorus.Post, error) {
	rows, err := s.query(ctx, `SELECT `+postColumns+`WHERE p.thread_id = ? ORDER BY p.id LIMIT ? OFFSET ?`, threadID, chorus.PostsPerPage, offset(page))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PostPage returns the page (from 1) of its thread that shows post id.
func (s *DB) PostPage(ctx context.Context, threadID, postID int64) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM discussion_posts WHERE thread_id = ? AND id <= ?`, threadID, postID).Scan(&n)
	if n == 0 {
		return 1, err
	}
	return (n-1)/chorus.PostsPerPage + 1, err
}

// EditPost replaces the text of post id by its author, and marks it edited.
//
// Errors: ErrNotFound; ErrForbidden when authorID did not write it or it
// is deleted; ErrLocked when its thread is locked.
func (tx *Tx) EditPost(ctx context.Context, id, authorID int64, body string) error {
	var author int64
	var deleted sql.NullTime
	var locked bool
	if err := tx.queryRow(ctx, `SELECT COALESCE(p.author_id, 0), p.deleted_at, t.locked FROM discussion_posts p
		JOIN discussion_threads t ON t.id = p.thread_id WHERE p.id = ?`, id).Scan(&author, &deleted, &locked); err != nil {
		return notFound(err, "post")
	}
	if author != authorID || deleted.Valid {
		return fmt.Errorf("edit post %d by member %d: %w", id, authorID, chorus.ErrForbidden)
	}
	if locked {
		return ErrLocked
	}
	_, err := tx.exec(ctx, `UPDATE discussion_posts SET body = ?, edited_at = ? WHERE id = ?`, body, tx.Now, id)
	return err
}

// DeletePost deletes post id: by its author (actorID), or, with
// moderator true, by a moderator, which is recorded in the thread. The
// post keeps its place in the thread without its text.
//
// Errors: ErrNotFound; ErrForbidden when an author deletes another's post
// or a post already deleted.
func (tx *Tx) DeletePost(ctx context.Context, id, actorID int64, moderator bool) error {
	var author, thread int64
	var deleted sql.NullTime
	if err := tx.queryRow(ctx, `SELECT COALESCE(author_id, 0), thread_id, deleted_at FROM discussion_posts WHERE id = ?`, id).Scan(&author, &thread, &deleted); err != nil {
		return notFound(err, "post")
	}
	if deleted.Valid || (!moderator && author != actorID) {
		return fmt.Errorf("delete post %d by member %d: %w", id, actorID, chorus.ErrForbidden)
	}
	by := "author"
	if moderator && author != actorID {
		by = "moderator"
	}
	if _, err := tx.exec(ctx, `UPDATE discussion_posts SET body = '', edited_at = NULL, deleted_at = ?, deleted_by = ? WHERE id = ?`, tx.Now, by, id); err != nil {
		return err
	}
	if by == "moderator" {
		return tx.threadEvent(ctx, thread, actorID, chorus.ActionDeletePost, id)
	}
	return nil
}

// ---- Search ----

// DiscussionHit is a thread found by a search, with the first of its
// posts whose text matched (0 when only the title did).
type DiscussionHit struct {
	Thread chorus.Thread
	PostID int64
}

// SearchDiscussions returns page (from 1) of the threads whose title or
// a post's text contains q (case-insensitive, LIKE's wildcards taken
// literally), latest activity first, and the number of pages. Deleted
// posts are not searched.
func (s *DB) SearchDiscussions(ctx context.Context, q string, page int) ([]DiscussionHit, int, error) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" || !storable(q) {
		return nil, 1, nil
	}
	pattern := "%" + likePrefix(q)
	const postMatch = `FROM discussion_posts p WHERE p.thread_id = t.id AND p.deleted_at IS NULL AND LOWER(p.body) LIKE ? ESCAPE '\'`
	where := `WHERE LOWER(t.title) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 ` + postMatch + `)`
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM discussion_threads t `+where, pattern, pattern).Scan(&n); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT `+threadFields+`, COALESCE((SELECT MIN(p.id) `+postMatch+`), 0)`+threadFrom+where+`
		ORDER BY t.last_post_at DESC, t.id DESC LIMIT ? OFFSET ?`,
		pattern, 0, pattern, pattern, chorus.PostsPerPage, offset(page))
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []DiscussionHit
	for rows.Next() {
		var h DiscussionHit
		t := &h.Thread
		if err := rows.Scan(&t.ID, &t.CategoryID, &t.Category, &t.AuthorID, &t.Author, &t.Title, &t.CreatedAt, &t.LastPostAt,
			&t.Pinned, &t.Locked, &t.Posts, &t.Unread, &t.FirstUnread, &t.Seen, &h.PostID); err != nil {
			return nil, 0, err
		}
		out = append(out, h)
	}
	return out, pages(n), rows.Err()
}
