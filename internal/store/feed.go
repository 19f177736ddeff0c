package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kinds of activity a member may share with followers beyond what is
// public anyway (activity_sharing.kind).
const (
	ShareFavourites = "favourites"
	ShareReviews    = "reviews"
	ShareComments   = "comments"
)

// ShareKinds lists the kinds of activity a member chooses to share, in
// the order of the settings page.
var ShareKinds = []string{ShareFavourites, ShareReviews, ShareComments}

// ActivitySharing returns, per kind of ShareKinds, whether memberID
// chose to share it with followers; a kind not chosen is false.
func (s *DB) ActivitySharing(ctx context.Context, memberID int64) (map[string]bool, error) {
	rows, err := s.query(ctx, `SELECT kind, shared FROM activity_sharing WHERE member_id = ?`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		var on bool
		if err := rows.Scan(&k, &on); err != nil {
			return nil, err
		}
		out[k] = on
	}
	return out, rows.Err()
}

// SetActivitySharing stores memberID's choice for kind, one of
// ShareKinds.
func (tx *Tx) SetActivitySharing(ctx context.Context, memberID int64, kind string, shared bool) error {
	_, err := tx.exec(ctx, `INSERT INTO activity_sharing (member_id, kind, shared, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (member_id, kind) DO UPDATE SET shared = excluded.shared, updated_at = excluded.updated_at`, memberID, kind, shared, tx.Now)
	return err
}

// FollowedMembers returns the ids of the members viewerID follows.
func (s *DB) FollowedMembers(ctx context.Context, viewerID int64) ([]int64, error) {
	rows, err := s.query(ctx, `SELECT f.member_id FROM follows f JOIN members m ON m.id = f.member_id
		WHERE f.follower_id = ? AND m.suspended_at IS NULL`, viewerID)
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

// Activity is one line of a member's feed.
type Activity struct {
	At    time.Time
	Actor string // the member's username or the artist's name
	Text  string // what they did, after Actor: "released “Rain”"
	Link  string // a path on the site
}

// FeedScope says whose activity of each kind a feed may show: member ids
// per kind (the caller decides from each member's choices and consent).
type FeedScope struct {
	Favourites, Reviews, Comments, Playlists []int64
}

// Feed returns the newest activity, at most limit items, of the artists
// and members viewerID follows: releases of followed artists (and of
// followed members' artists), public playlists of scope.Playlists,
// favourites of scope.Favourites, reviews of scope.Reviews and comments
// of scope.Comments. Only public tracks, albums and playlists appear.
func (s *DB) Feed(ctx context.Context, viewerID int64, scope FeedScope, limit int) ([]Activity, error) {
	var out []Activity
	add := func(q string, args ...any) error {
		rows, err := s.query(ctx, q+` LIMIT ?`, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Activity
			if err := rows.Scan(&a.At, &a.Actor, &a.Text, &a.Link); err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	}
	// Text and link are put together in Go below from the kind's parts.
	err := add(`SELECT t.published_at, a.name, t.title, CAST(t.id AS TEXT) FROM tracks t JOIN artists a ON a.id = t.artist_id
		WHERE `+publicTrack+` AND (t.artist_id IN (SELECT artist_id FROM follows WHERE follower_id = ? AND artist_id IS NOT NULL)
			OR a.member_id IN (SELECT member_id FROM follows WHERE follower_id = ? AND member_id IS NOT NULL))
		ORDER BY t.published_at DESC`, viewerID, viewerID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Text, out[i].Link = "released \u201c"+out[i].Text+"\u201d", "/tracks/"+out[i].Link
	}
	kinds := []struct {
		ids       []int64
		q, verb   string
		linkStart string
	}{
		{scope.Playlists, `SELECT p.updated_at, m.username, p.name, p.id FROM playlists p JOIN members m ON m.id = p.member_id
			WHERE p.visibility = 'public' AND p.member_id IN (%s) ORDER BY p.updated_at DESC`, "made the playlist", "/playlists/"},
		{scope.Favourites, `SELECT f.created_at, m.username, t.title, CAST(t.id AS TEXT) FROM favourites f JOIN members m ON m.id = f.member_id
			JOIN tracks t ON t.id = f.track_id WHERE ` + publicTrack + ` AND f.member_id IN (%s) ORDER BY f.created_at DESC`, "favoured", "/tracks/"},
		{scope.Reviews, `SELECT r.updated_at, m.username, t.title, CAST(t.id AS TEXT) FROM reviews r JOIN members m ON m.id = r.member_id
			JOIN tracks t ON t.id = r.track_id WHERE ` + publicTrack + ` AND r.member_id IN (%s) ORDER BY r.updated_at DESC`, "reviewed", "/tracks/"},
		{scope.Reviews, `SELECT r.updated_at, m.username, al.title, CAST(al.id AS TEXT) FROM reviews r JOIN members m ON m.id = r.member_id
			JOIN albums al ON al.id = r.album_id WHERE r.member_id IN (%s) ORDER BY r.updated_at DESC`, "reviewed", "/albums/"},
		{scope.Comments, `SELECT c.created_at, m.username, t.title, CAST(t.id AS TEXT) || '#comment-' || CAST(c.id AS TEXT) FROM comments c
			JOIN members m ON m.id = c.author_id JOIN tracks t ON t.id = c.track_id
			WHERE ` + publicTrack + ` AND c.deleted_at IS NULL AND c.author_id IN (%s) ORDER BY c.created_at DESC`, "commented on", "/tracks/"},
	}
	for _, k := range kinds {
		if len(k.ids) == 0 {
			continue
		}
		from := len(out)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(k.ids)), ", ")
		args := make([]any, len(k.ids))
		for i, id := range k.ids {
			args[i] = id
		}
		if err := add(fmt.Sprintf(k.q, marks), args...); err != nil {
			return nil, err
		}
		for i := from; i < len(out); i++ {
			out[i].Text, out[i].Link = k.verb+" \u201c"+out[i].Text+"\u201d", k.linkStart+out[i].Link
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
