package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"chorus/internal/chorus"
)

// targetColumn is the column of a comment, review or favourite row that
// names a target of kind; it refuses kinds the table does not hold.
func targetColumn(t chorus.Target, kinds ...string) (string, error) {
	for _, k := range kinds {
		if t.Kind == k {
			return k + "_id", nil
		}
	}
	return "", fmt.Errorf("%s %d: %w", t.Kind, t.ID, chorus.ErrNotFound)
}

// TargetExists reports, as ErrNotFound, a target that is not public: a
// published, ready track, an album with such a track, an artist, a member.
func (s *DB) TargetExists(ctx context.Context, t chorus.Target) error {
	var q string
	switch t.Kind {
	case chorus.OnTrack:
		q = `SELECT 1 FROM tracks t WHERE t.id = ? AND ` + publicTrack
	case chorus.OnAlbum:
		q = `SELECT 1 FROM albums al WHERE al.id = ? AND EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = al.id AND ` + publicTrack + `)`
	case chorus.OnArtist:
		q = `SELECT 1 FROM artists WHERE id = ?`
	case chorus.OnMember:
		q = `SELECT 1 FROM members WHERE id = ?`
	default:
		return fmt.Errorf("target kind %q: %w", t.Kind, chorus.ErrNotFound)
	}
	var one int
	return notFound(s.queryRow(ctx, q, t.ID).Scan(&one), t.Kind)
}

// ---- Comments ----

const commentColumns = `c.id, COALESCE(c.track_id, 0), COALESCE(c.album_id, 0), COALESCE(c.artist_id, 0), COALESCE(c.parent_id, 0),
	COALESCE(c.author_id, 0), COALESCE(m.username, ''), c.body, c.created_at, c.edited_at, c.deleted_at`

const commentFrom = ` FROM comments c LEFT JOIN members m ON m.id = c.author_id `

func scanComment(row rowScanner) (chorus.Comment, error) {
	var c chorus.Comment
	var track, album, artist int64
	var edited, deleted sql.NullTime
	if err := row.Scan(&c.ID, &track, &album, &artist, &c.ParentID, &c.AuthorID, &c.Author, &c.Body, &c.CreatedAt, &edited, &deleted); err != nil {
		return c, err
	}
	switch {
	case track != 0:
		c.Target = chorus.Target{Kind: chorus.OnTrack, ID: track}
	case album != 0:
		c.Target = chorus.Target{Kind: chorus.OnAlbum, ID: album}
	default:
		c.Target = chorus.Target{Kind: chorus.OnArtist, ID: artist}
	}
	if edited.Valid {
		c.EditedAt = edited.Time
	}
	c.Deleted = deleted.Valid
	return c, nil
}

// Comment returns the comment called id.
//
// Errors: ErrNotFound.
func (s *DB) Comment(ctx context.Context, id int64) (chorus.Comment, error) {
	c, err := scanComment(s.queryRow(ctx, `SELECT `+commentColumns+commentFrom+`WHERE c.id = ?`, id))
	return c, notFound(err, "comment")
}

// Comments returns the comments on target, oldest first, each with its
// replies (oldest first) in Replies.
func (s *DB) Comments(ctx context.Context, target chorus.Target) ([]chorus.Comment, error) {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum, chorus.OnArtist)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+commentColumns+commentFrom+`WHERE c.`+col+` = ? ORDER BY c.created_at, c.id`, target.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var top []chorus.Comment
	replies := map[int64][]chorus.Comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, err
		}
		if c.ParentID == 0 {
			top = append(top, c)
		} else {
			replies[c.ParentID] = append(replies[c.ParentID], c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range top {
		top[i].Replies = replies[top[i].ID]
	}
	return top, nil
}

// AddComment stores a comment by authorID on target, or a reply to the
// comment parentID (which must be a comment on the same target, not
// itself a reply: replies are one level deep), and returns its id.
//
// Errors: ErrNotFound for a missing target or parent; *InvalidError for a
// reply to a reply.
func (tx *Tx) AddComment(ctx context.Context, authorID int64, target chorus.Target, parentID int64, body string) (int64, error) {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum, chorus.OnArtist)
	if err != nil {
		return 0, err
	}
	var parent any
	if parentID != 0 {
		var pTarget, pParent int64
		var pDeleted sql.NullTime
		err := tx.queryRow(ctx, `SELECT COALESCE(`+col+`, 0), COALESCE(parent_id, 0), deleted_at FROM comments WHERE id = ?`, parentID).Scan(&pTarget, &pParent, &pDeleted)
		if err != nil {
			return 0, notFound(err, "comment replied to")
		}
		if pDeleted.Valid {
			return 0, chorus.Invalid("That comment was deleted, so it takes no more replies.")
		}
		if pTarget != target.ID {
			return 0, fmt.Errorf("comment %d is not on %s %d: %w", parentID, target.Kind, target.ID, chorus.ErrNotFound)
		}
		if pParent != 0 {
			return 0, chorus.Invalid("Replies go one level deep: please reply to the comment this reply answers.")
		}
		parent = parentID
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO comments (author_id, `+col+`, parent_id, body, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		authorID, target.ID, parent, body, tx.Now).Scan(&id)
	return id, err
}

// EditComment replaces the text of the comment id by its author, and
// marks it edited.
//
// Errors: ErrNotFound; ErrForbidden when authorID did not write it or it
// is deleted.
func (tx *Tx) EditComment(ctx context.Context, id, authorID int64, body string) error {
	var author int64
	var deleted sql.NullTime
	if err := tx.queryRow(ctx, `SELECT COALESCE(author_id, 0), deleted_at FROM comments WHERE id = ?`, id).Scan(&author, &deleted); err != nil {
		return notFound(err, "comment")
	}
	if author != authorID || deleted.Valid {
		return fmt.Errorf("edit comment %d by member %d: %w", id, authorID, chorus.ErrForbidden)
	}
	_, err := tx.exec(ctx, `UPDATE comments SET body = ?, edited_at = ? WHERE id = ?`, body, tx.Now, id)
	return err
}

// DeleteComment deletes the comment id by its author. A comment with
// replies stays as a placeholder without its text, so that the replies
// keep their place; a placeholder whose last reply goes goes too.
//
// Errors: ErrNotFound; ErrForbidden when authorID did not write it.
func (tx *Tx) DeleteComment(ctx context.Context, id, authorID int64) error {
	var author, parent int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(author_id, 0), COALESCE(parent_id, 0) FROM comments WHERE id = ?`, id).Scan(&author, &parent); err != nil {
		return notFound(err, "comment")
	}
	if author != authorID {
		return fmt.Errorf("delete comment %d by member %d: %w", id, authorID, chorus.ErrForbidden)
	}
	var replies int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM comments WHERE parent_id = ?`, id).Scan(&replies); err != nil {
		return err
	}
	if replies > 0 {
		_, err := tx.exec(ctx, `UPDATE comments SET body = '', edited_at = NULL, deleted_at = ? WHERE id = ?`, tx.Now, id)
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM comments WHERE id = ?`, id); err != nil {
		return err
	}
	if parent != 0 {
		_, err := tx.exec(ctx, `DELETE FROM comments WHERE id = ? AND deleted_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = ?)`, parent, parent)
		return err
	}
	return nil
}

// Usernames returns, for each of names that is a member's username
// (compared with chorus.UsernameKey), that username.
func (s *DB) Usernames(ctx context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		if !storable(n) {
			continue
		}
		var u string
		err := s.queryRow(ctx, `SELECT username FROM members WHERE username_key = ?`, chorus.UsernameKey(n)).Scan(&u)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[n] = u
	}
	return out, nil
}

// ---- Reviews ----

const reviewColumns = `r.id, COALESCE(r.track_id, 0), COALESCE(r.album_id, 0), r.member_id, m.username, r.score, r.body, r.created_at, r.updated_at,
	(SELECT COUNT(*) FROM review_helpful h WHERE h.review_id = r.id)`

func scanReview(row rowScanner) (chorus.Review, error) {
	var r chorus.Review
	var track, album int64
	err := row.Scan(&r.ID, &track, &album, &r.MemberID, &r.Author, &r.Score, &r.Body, &r.CreatedAt, &r.UpdatedAt, &r.Helpful)
	if track != 0 {
		r.Target = chorus.Target{Kind: chorus.OnTrack, ID: track}
	} else {
		r.Target = chorus.Target{Kind: chorus.OnAlbum, ID: album}
	}
	return r, err
}

// Reviews returns the reviews of target, most helpful first, each marked
// when viewerID (0 for a visitor) found it helpful.
func (s *DB) Reviews(ctx context.Context, target chorus.Target, viewerID int64) ([]chorus.Review, error) {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, `SELECT `+reviewColumns+`, EXISTS (SELECT 1 FROM review_helpful h WHERE h.review_id = r.id AND h.member_id = ?)
		FROM reviews r JOIN members m ON m.id = r.member_id WHERE r.`+col+` = ? ORDER BY 10 DESC, r.updated_at DESC, r.id`, viewerID, target.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Review
	for rows.Next() {
		var r chorus.Review
		var track, album int64
		if err := rows.Scan(&r.ID, &track, &album, &r.MemberID, &r.Author, &r.Score, &r.Body, &r.CreatedAt, &r.UpdatedAt, &r.Helpful, &r.MarkedByViewer); err != nil {
			return nil, err
		}
		r.Target = target
		out = append(out, r)
	}
	return out, rows.Err()
}

// Review returns the review called id.
//
// Errors: ErrNotFound.
func (s *DB) Review(ctx context.Context, id int64) (chorus.Review, error) {
	r, err := scanReview(s.queryRow(ctx, `SELECT `+reviewColumns+` FROM reviews r JOIN members m ON m.id = r.member_id WHERE r.id = ?`, id))
	return r, notFound(err, "review")
}

// ReviewSummary returns the number of reviews of target and their mean
// score (0 with none).
func (s *DB) ReviewSummary(ctx context.Context, target chorus.Target) (chorus.ReviewSummary, error) {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum)
	if err != nil {
		return chorus.ReviewSummary{}, err
	}
	var sum chorus.ReviewSummary
	var avg sql.NullFloat64
	err = s.queryRow(ctx, `SELECT COUNT(*), AVG(score * 1.0) FROM reviews WHERE `+col+` = ?`, target.ID).Scan(&sum.Count, &avg)
	sum.Average = avg.Float64
	return sum, err
}

// SaveReview stores memberID's review of target, replacing their earlier
// one: a member has one review per item.
func (tx *Tx) SaveReview(ctx context.Context, memberID int64, target chorus.Target, score int, body string) error {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE reviews SET score = ?, body = ?, updated_at = ? WHERE member_id = ? AND `+col+` = ?`, score, body, tx.Now, memberID, target.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = tx.exec(ctx, `INSERT INTO reviews (member_id, `+col+`, score, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		memberID, target.ID, score, body, tx.Now, tx.Now)
	return err
}

// DeleteReview deletes the review id by its author.
//
// Errors: ErrNotFound; ErrForbidden when memberID did not write it.
func (tx *Tx) DeleteReview(ctx context.Context, id, memberID int64) error {
	var author int64
	if err := tx.queryRow(ctx, `SELECT member_id FROM reviews WHERE id = ?`, id).Scan(&author); err != nil {
		return notFound(err, "review")
	}
	if author != memberID {
		return fmt.Errorf("delete review %d by member %d: %w", id, memberID, chorus.ErrForbidden)
	}
	_, err := tx.exec(ctx, `DELETE FROM reviews WHERE id = ?`, id)
	return err
}

// MarkHelpful records that memberID found review id helpful: once per
// member, never by its author.
//
// Errors: ErrNotFound; ErrForbidden for one's own review; ErrConflict when
// already marked.
func (tx *Tx) MarkHelpful(ctx context.Context, id, memberID int64) error {
	var author int64
	if err := tx.queryRow(ctx, `SELECT member_id FROM reviews WHERE id = ?`, id).Scan(&author); err != nil {
		return notFound(err, "review")
	}
	if author == memberID {
		return fmt.Errorf("member %d marks own review %d: %w", memberID, id, chorus.ErrForbidden)
	}
	res, err := tx.exec(ctx, `INSERT INTO review_helpful (review_id, member_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, memberID, tx.Now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("member %d marked review %d already: %w", memberID, id, chorus.ErrConflict)
	}
	return nil
}

// ---- Favourites and follows ----

// SetFavourite adds target (a track or an album) to memberID's favourites,
// or removes it when on is false. Adding twice is one favourite.
func (tx *Tx) SetFavourite(ctx context.Context, memberID int64, target chorus.Target, on bool) error {
	col, err := targetColumn(target, chorus.OnTrack, chorus.OnAlbum)
	if err != nil {
		return err
	}
	if !on {
		_, err := tx.exec(ctx, `DELETE FROM favourites WHERE member_id = ? AND `+col+` = ?`, memberID, target.ID)
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO favourites (member_id, `+col+`, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, memberID, target.ID, tx.Now)
	return err
}

// SetFollow makes followerID follow target (an artist or a member), or
// stop when on is false. Following twice is one follow; members cannot
// follow themselves.
//
// Errors: *InvalidError for following oneself.
func (tx *Tx) SetFollow(ctx context.Context, followerID int64, target chorus.Target, on bool) error {
	col, err := targetColumn(target, chorus.OnArtist, chorus.OnMember)
	if err != nil {
		return err
	}
	if target.Kind == chorus.OnMember && target.ID == followerID {
		return chorus.Invalid("You cannot follow yourself.")
	}
	if !on {
		_, err := tx.exec(ctx, `DELETE FROM follows WHERE follower_id = ? AND `+col+` = ?`, followerID, target.ID)
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO follows (follower_id, `+col+`, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, followerID, target.ID, tx.Now)
	return err
}

// Marked reports whether memberID has target among their favourites (a
// track or an album) or follows (an artist or a member).
func (s *DB) Marked(ctx context.Context, memberID int64, target chorus.Target) (bool, error) {
	var q string
	switch target.Kind {
	case chorus.OnTrack, chorus.OnAlbum:
		q = `SELECT COUNT(*) FROM favourites WHERE member_id = ? AND ` + target.Kind + `_id = ?`
	case chorus.OnArtist, chorus.OnMember:
		q = `SELECT COUNT(*) FROM follows WHERE follower_id = ? AND ` + target.Kind + `_id = ?`
	default:
		return false, nil
	}
	var n int
	err := s.queryRow(ctx, q, memberID, target.ID).Scan(&n)
	return n > 0, err
}

// Favourites returns memberID's favourite public tracks and albums, newest
// first.
func (s *DB) Favourites(ctx context.Context, memberID int64) ([]chorus.Link, error) {
	return s.links(ctx, `SELECT 'track', t.title, t.id, f.created_at FROM favourites f JOIN tracks t ON t.id = f.track_id WHERE f.member_id = ? AND `+publicTrack+`
		UNION ALL SELECT 'album', al.title, al.id, f.created_at FROM favourites f JOIN albums al ON al.id = f.album_id WHERE f.member_id = ?
		ORDER BY 4 DESC`, memberID, memberID)
}

// Follows returns the artists and members memberID follows, newest first.
func (s *DB) Follows(ctx context.Context, memberID int64) ([]chorus.Link, error) {
	return s.links(ctx, `SELECT 'artist', a.name, a.slug, f.created_at FROM follows f JOIN artists a ON a.id = f.artist_id WHERE f.follower_id = ?
		UNION ALL SELECT 'member', m.username, m.username, f.created_at FROM follows f JOIN members m ON m.id = f.member_id WHERE f.follower_id = ?
		ORDER BY 4 DESC`, memberID, memberID)
}

// FollowerCount returns how many members follow target (an artist or a
// member).
func (s *DB) FollowerCount(ctx context.Context, target chorus.Target) (int, error) {
	col, err := targetColumn(target, chorus.OnArtist, chorus.OnMember)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.queryRow(ctx, `SELECT COUNT(*) FROM follows WHERE `+col+` = ?`, target.ID).Scan(&n)
	return n, err
}

func (s *DB) links(ctx context.Context, q string, args ...any) ([]chorus.Link, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Link
	for rows.Next() {
		var l chorus.Link
		var ref string
		var at any // a time; SQLite gives it untyped through UNION
		if err := rows.Scan(&l.Kind, &l.Name, &ref, &at); err != nil {
			return nil, err
		}
		l.Href = "/" + l.Kind + "s/" + ref
		out = append(out, l)
	}
	return out, rows.Err()
}

// ---- Community choices ----

// CommunityChoices returns what memberID shows on their public page; all
// false until they choose.
func (s *DB) CommunityChoices(ctx context.Context, memberID int64) (chorus.CommunityChoices, error) {
	var c chorus.CommunityChoices
	err := s.queryRow(ctx, `SELECT favourites_public, follows_public, activity_public FROM community_choices WHERE member_id = ?`, memberID).
		Scan(&c.FavouritesPublic, &c.FollowsPublic, &c.ActivityPublic)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	return c, err
}

// SaveCommunityChoices stores what memberID shows on their public page.
func (tx *Tx) SaveCommunityChoices(ctx context.Context, memberID int64, c chorus.CommunityChoices) error {
	_, err := tx.exec(ctx, `INSERT INTO community_choices (member_id, favourites_public, follows_public, activity_public) VALUES (?, ?, ?, ?)
		ON CONFLICT (member_id) DO UPDATE SET favourites_public = excluded.favourites_public, follows_public = excluded.follows_public, activity_public = excluded.activity_public`,
		memberID, c.FavouritesPublic, c.FollowsPublic, c.ActivityPublic)
	return err
}

// ---- Playlists ----

// newPlaylistID is a random id (80 bits, base32): it names the link of an
// unlisted playlist, so it must not be guessable.
func newPlaylistID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// CreatePlaylist makes a playlist of memberID and returns its id.
func (tx *Tx) CreatePlaylist(ctx context.Context, memberID int64, name, visibility string) (string, error) {
	id := newPlaylistID()
	_, err := tx.exec(ctx, `INSERT INTO playlists (id, member_id, name, visibility, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, memberID, name, visibility, tx.Now, tx.Now)
	return id, err
}

const playlistColumns = `p.id, p.member_id, m.username, p.name, p.visibility, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id)`

func scanPlaylist(row rowScanner) (chorus.Playlist, error) {
	var p chorus.Playlist
	err := row.Scan(&p.ID, &p.MemberID, &p.Owner, &p.Name, &p.Visibility, &p.CreatedAt, &p.UpdatedAt, &p.TrackCount)
	return p, err
}

// Playlist returns the playlist id with its public tracks in order;
// callers check Playlist.VisibleTo before showing it.
//
// Errors: ErrNotFound.
func (s *DB) Playlist(ctx context.Context, id string) (chorus.Playlist, error) {
	if !storable(id) {
		return chorus.Playlist{}, fmt.Errorf("playlist: %w", chorus.ErrNotFound)
	}
	p, err := scanPlaylist(s.queryRow(ctx, `SELECT `+playlistColumns+` FROM playlists p JOIN members m ON m.id = p.member_id WHERE p.id = ?`, id))
	if err != nil {
		return p, notFound(err, "playlist")
	}
	p.Tracks, err = s.tracks(ctx, s.db, `JOIN playlist_tracks pt ON pt.track_id = t.id WHERE pt.playlist_id = ? AND `+publicTrack+` ORDER BY pt.position, pt.added_at`, id)
	return p, err
}

// Playlists returns memberID's playlists, newest first: all of them, or
// only the public ones when publicOnly.
func (s *DB) Playlists(ctx context.Context, memberID int64, publicOnly bool) ([]chorus.Playlist, error) {
	q := `SELECT ` + playlistColumns + ` FROM playlists p JOIN members m ON m.id = p.member_id WHERE p.member_id = ?`
	if publicOnly {
		q += ` AND p.visibility = 'public'`
	}
	rows, err := s.query(ctx, q+` ORDER BY p.updated_at DESC, p.id`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Playlist
	for rows.Next() {
		p, err := scanPlaylist(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ownPlaylist checks that playlist id is memberID's.
func (tx *Tx) ownPlaylist(ctx context.Context, id string, memberID int64) error {
	var owner int64
	if !storable(id) {
		return fmt.Errorf("playlist: %w", chorus.ErrNotFound)
	}
	if err := tx.queryRow(ctx, `SELECT member_id FROM playlists WHERE id = ?`, id).Scan(&owner); err != nil {
		return notFound(err, "playlist")
	}
	if owner != memberID {
		// Another member's playlist, maybe private: not even its existence.
		return fmt.Errorf("playlist %s of another member: %w", id, chorus.ErrNotFound)
	}
	_, err := tx.exec(ctx, `UPDATE playlists SET updated_at = ? WHERE id = ?`, tx.Now, id)
	return err
}

// UpdatePlaylist renames playlist id of memberID and sets its visibility.
//
// Errors: ErrNotFound (also for another member's playlist).
func (tx *Tx) UpdatePlaylist(ctx context.Context, id string, memberID int64, name, visibility string) error {
	if err := tx.ownPlaylist(ctx, id, memberID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE playlists SET name = ?, visibility = ? WHERE id = ?`, name, visibility, id)
	return err
}

// DeletePlaylist deletes playlist id of memberID.
//
// Errors: ErrNotFound (also for another member's playlist).
func (tx *Tx) DeletePlaylist(ctx context.Context, id string, memberID int64) error {
	if err := tx.ownPlaylist(ctx, id, memberID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM playlists WHERE id = ?`, id)
	return err
}

// AddToPlaylist appends track trackID to playlist id of memberID; a track
// already there stays where it is.
//
// Errors: ErrNotFound; *InvalidError when the playlist is full.
func (tx *Tx) AddToPlaylist(ctx context.Context, id string, memberID, trackID int64) error {
	if err := tx.ownPlaylist(ctx, id, memberID); err != nil {
		return err
	}
	var n, last int
	if err := tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(position), 0) FROM playlist_tracks WHERE playlist_id = ?`, id).Scan(&n, &last); err != nil {
		return err
	}
	if n >= chorus.MaxPlaylistTracks {
		return chorus.Invalid(fmt.Sprintf("A playlist holds at most %d tracks; this one is full.", chorus.MaxPlaylistTracks))
	}
	_, err := tx.exec(ctx, `INSERT INTO playlist_tracks (playlist_id, track_id, position, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, trackID, last+1, tx.Now)
	return err
}

// RemoveFromPlaylist takes track trackID out of playlist id of memberID.
//
// Errors: ErrNotFound.
func (tx *Tx) RemoveFromPlaylist(ctx context.Context, id string, memberID, trackID int64) error {
	if err := tx.ownPlaylist(ctx, id, memberID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM playlist_tracks WHERE playlist_id = ? AND track_id = ?`, id, trackID)
	return err
}

// MoveInPlaylist moves track trackID of playlist id of memberID one place
// up (by -1) or down (by +1); at an end it stays.
//
// Errors: ErrNotFound.
func (tx *Tx) MoveInPlaylist(ctx context.Context, id string, memberID, trackID int64, by int) error {
	if err := tx.ownPlaylist(ctx, id, memberID); err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT track_id FROM playlist_tracks WHERE playlist_id = ? ORDER BY position, added_at`, id)
	if err != nil {
		return err
	}
	var order []int64
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		order = append(order, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	i := -1
	for k, t := range order {
		if t == trackID {
			i = k
		}
	}
	if i < 0 {
		return fmt.Errorf("track %d in playlist %s: %w", trackID, id, chorus.ErrNotFound)
	}
	j := i + by
	if j < 0 || j >= len(order) {
		return nil
	}
	order[i], order[j] = order[j], order[i]
	for k, t := range order {
		if _, err := tx.exec(ctx, `UPDATE playlist_tracks SET position = ? WHERE playlist_id = ? AND track_id = ?`, k+1, id, t); err != nil {
			return err
		}
	}
	return nil
}

// ReviewsBy returns memberID's reviews of public tracks and albums as
// links named "title (score/5)", newest first.
func (s *DB) ReviewsBy(ctx context.Context, memberID int64) ([]chorus.Link, error) {
	return s.links(ctx, `SELECT 'track', t.title || ' (' || r.score || '/5)', t.id, r.updated_at FROM reviews r JOIN tracks t ON t.id = r.track_id WHERE r.member_id = ? AND `+publicTrack+`
		UNION ALL SELECT 'album', al.title || ' (' || r.score || '/5)', al.id, r.updated_at FROM reviews r JOIN albums al ON al.id = r.album_id WHERE r.member_id = ?
		ORDER BY 4 DESC`, memberID, memberID)
}
