package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"chorus/internal/chorus"
)

// Search document kinds. On SQLite the FTS rowid is id*4+kind so that a
// document can be replaced without scanning the index.
const (
	kindTrack  = 0
	kindAlbum  = 1
	kindArtist = 2
)

var kindNames = map[int]string{kindTrack: "track", kindAlbum: "album", kindArtist: "artist"}

// reindex rebuilds the search documents of a track, its album and its
// artist (and of oldAlbumID when the track moved away from it). Only public
// content is indexed.
func (tx *Tx) reindex(ctx context.Context, trackID, oldAlbumID int64) error {
	var artistID int64
	var albumID sql.NullInt64
	if err := tx.queryRow(ctx, `SELECT artist_id, album_id FROM tracks WHERE id = ?`, trackID).Scan(&artistID, &albumID); err != nil {
		return notFound(err, "track")
	}
	var trackBody string
	err := tx.queryRow(ctx, `SELECT t.title || ' ' || COALESCE(al.title, '') || ' ' || a.name || ' ' ||
		COALESCE((SELECT `+tx.groupConcat("tag")+` FROM track_tags WHERE track_id = t.id), '')
		FROM tracks t JOIN artists a ON a.id = t.artist_id LEFT JOIN albums al ON al.id = t.album_id
		WHERE t.id = ? AND `+publicTrack, trackID).Scan(&trackBody)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err := tx.putDoc(ctx, kindTrack, trackID, trackBody); err != nil {
		return err
	}
	for _, id := range []int64{albumID.Int64, oldAlbumID} {
		if err := tx.reindexAlbum(ctx, id); err != nil {
			return err
		}
	}
	return tx.reindexArtist(ctx, artistID)
}

// reindexAlbum rebuilds an album's search document; albums without a
// public track have none.
func (tx *Tx) reindexAlbum(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	var body string
	err := tx.queryRow(ctx, `SELECT al.title || ' ' || a.name FROM albums al JOIN artists a ON a.id = al.artist_id
		WHERE al.id = ? AND EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = al.id AND `+publicTrack+`)`, id).Scan(&body)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return tx.putDoc(ctx, kindAlbum, id, body)
}

// reindexArtist rebuilds an artist's search document; artists without a
// public track have none.
func (tx *Tx) reindexArtist(ctx context.Context, id int64) error {
	var body string
	err := tx.queryRow(ctx, `SELECT a.name FROM artists a WHERE a.id = ? AND EXISTS (SELECT 1 FROM tracks t WHERE t.artist_id = a.id AND `+publicTrack+`)`, id).Scan(&body)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return tx.putDoc(ctx, kindArtist, id, body)
}

func (tx *Tx) groupConcat(col string) string {
	if tx.dialect == Postgres {
		return "string_agg(" + col + ", ' ')"
	}
	return "group_concat(" + col + ", ' ')"
}

// putDoc replaces one search document; an empty body removes it.
func (tx *Tx) putDoc(ctx context.Context, kind int, id int64, body string) error {
	body = chorus.SearchText(body)
	if tx.dialect == Postgres {
		if body == "" {
			_, err := tx.exec(ctx, `DELETE FROM search_index WHERE kind = ? AND ref_id = ?`, kindNames[kind], id)
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO search_index (kind, ref_id, body) VALUES (?, ?, ?)
			ON CONFLICT (kind, ref_id) DO UPDATE SET body = EXCLUDED.body`, kindNames[kind], id, body)
		return err
	}
	rowid := id*4 + int64(kind)
	if _, err := tx.exec(ctx, `DELETE FROM search_fts WHERE rowid = ?`, rowid); err != nil {
		return err
	}
	if body == "" {
		return nil
	}
	_, err := tx.exec(ctx, `INSERT INTO search_fts (rowid, body, kind, ref_id) VALUES (?, ?, ?, ?)`, rowid, body, kindNames[kind], id)
	return err
}

// SearchResult is one page of search results.
type SearchResult struct {
	Tracks      []chorus.Track
	TotalTracks int
	Albums      []chorus.Album
	Artists     []ArtistSummary
}

// Search finds public tracks, albums and artists whose title, album, artist
// name or tags contain every word of q as a word prefix, case- and
// accent-insensitively, best matches first. Tracks are paginated with
// limit and offset; the first few albums and artists come with every page.
func (s *DB) Search(ctx context.Context, q string, limit, offset int) (SearchResult, error) {
	var res SearchResult
	words := strings.Fields(chorus.SearchText(q))
	if len(words) == 0 {
		return res, nil
	}
	if len(words) > 12 {
		words = words[:12]
	}
	trackIDs, total, err := s.searchIDs(ctx, words, "track", limit, offset)
	if err != nil {
		return res, err
	}
	res.TotalTracks = total
	if res.Tracks, err = s.tracksByIDs(ctx, trackIDs); err != nil {
		return res, err
	}
	albumIDs, _, err := s.searchIDs(ctx, words, "album", 6, 0)
	if err != nil {
		return res, err
	}
	for _, id := range albumIDs {
		al, err := s.PublicAlbum(ctx, id)
		if err == nil {
			res.Albums = append(res.Albums, al)
		}
	}
	artistIDs, _, err := s.searchIDs(ctx, words, "artist", 6, 0)
	if err != nil {
		return res, err
	}
	for _, id := range artistIDs {
		as, err := s.artistSummaries(ctx, `WHERE a.id = ?`, 1, 0, id)
		if err != nil {
			return res, err
		}
		res.Artists = append(res.Artists, as...)
	}
	return res, nil
}

func (s *DB) searchIDs(ctx context.Context, words []string, kind string, limit, offset int) ([]int64, int, error) {
	var count, list string
	var match string
	if s.dialect == Postgres {
		terms := make([]string, len(words))
		for i, w := range words {
			terms[i] = w + ":*"
		}
		match = strings.Join(terms, " & ")
		count = `SELECT COUNT(*) FROM search_index WHERE kind = ? AND tsv @@ to_tsquery('simple', ?)`
		list = `SELECT ref_id FROM search_index WHERE kind = ? AND tsv @@ to_tsquery('simple', ?)
			ORDER BY ts_rank(tsv, to_tsquery('simple', ?)) DESC, ref_id DESC LIMIT ? OFFSET ?`
	} else {
		terms := make([]string, len(words))
		for i, w := range words {
			terms[i] = `"` + w + `"*`
		}
		match = strings.Join(terms, " ")
		count = `SELECT COUNT(*) FROM search_fts WHERE kind = ? AND search_fts MATCH ?`
		list = `SELECT ref_id FROM search_fts WHERE kind = ? AND search_fts MATCH ? AND ? <> ''
			ORDER BY bm25(search_fts), ref_id DESC LIMIT ? OFFSET ?`
	}
	var total int
	if err := s.queryRow(ctx, count, kind, match).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, list, kind, match, match, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	return ids, total, rows.Err()
}

func (s *DB) tracksByIDs(ctx context.Context, ids []int64) ([]chorus.Track, error) {
	byID, err := s.TrackStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]chorus.Track, 0, len(ids))
	for _, id := range ids {
		if t, ok := byID[id]; ok && t.Public() {
			out = append(out, t)
		}
	}
	return out, nil
}
