package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"chorus/internal/chorus"
)

// publicTrack is the condition, on alias t, for a track visitors may see.
const publicTrack = `t.published = TRUE AND t.status = 'ready'`

const trackColumns = `t.id, t.artist_id, a.name, a.slug, COALESCE(t.album_id, 0), COALESCE(al.title, ''), COALESCE(al.slug, ''),
	t.title, t.track_number, t.disc_number, t.year, t.licence_id, t.download_original, t.status, t.processing_error,
	t.published, t.published_at, t.original_key, t.original_format, t.original_mime, t.original_size, t.original_name,
	t.content_hash, t.stream_key, t.stream_size, t.stream_hash, t.duration_ms, t.peaks, t.cover_key, COALESCE(tp.plays, 0),
	t.created_at, t.updated_at`

const trackFrom = ` FROM tracks t JOIN artists a ON a.id = t.artist_id LEFT JOIN albums al ON al.id = t.album_id LEFT JOIN track_plays tp ON tp.track_id = t.id `

func scanTrack(row interface{ Scan(...any) error }) (chorus.Track, error) {
	var t chorus.Track
	var status, peaks string
	var durMS int64
	var publishedAt sql.NullTime
	err := row.Scan(&t.ID, &t.ArtistID, &t.ArtistName, &t.ArtistSlug, &t.AlbumID, &t.AlbumTitle, &t.AlbumSlug,
		&t.Title, &t.TrackNumber, &t.DiscNumber, &t.Year, &t.LicenceID, &t.DownloadOriginal, &status, &t.ProcessingError,
		&t.Published, &publishedAt, &t.OriginalKey, &t.OriginalFormat, &t.OriginalMIME, &t.OriginalSize, &t.OriginalName,
		&t.ContentHash, &t.StreamKey, &t.StreamSize, &t.StreamHash, &durMS, &peaks, &t.CoverKey, &t.Plays,
		&t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, err
	}
	t.Status = chorus.TrackStatus(status)
	t.Duration = time.Duration(durMS) * time.Millisecond
	if publishedAt.Valid {
		t.PublishedAt = publishedAt.Time
	}
	if peaks != "" {
		_ = json.Unmarshal([]byte(peaks), &t.Peaks)
	}
	return t, nil
}

func (s *DB) tracks(ctx context.Context, q querier, where string, args ...any) ([]chorus.Track, error) {
	rows, err := q.QueryContext(ctx, rebind(s.dialect, `SELECT `+trackColumns+trackFrom+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Track
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.loadTags(ctx, q, out)
}

func (s *DB) loadTags(ctx context.Context, q querier, ts []chorus.Track) error {
	if len(ts) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ts))
	ids := make([]any, len(ts))
	marks := make([]string, len(ts))
	for i, t := range ts {
		idx[t.ID] = i
		ids[i] = t.ID
		marks[i] = "?"
	}
	rows, err := q.QueryContext(ctx, rebind(s.dialect, `SELECT track_id, tag FROM track_tags WHERE track_id IN (`+strings.Join(marks, ",")+`) ORDER BY tag`), ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return err
		}
		ts[idx[id]].Tags = append(ts[idx[id]].Tags, tag)
	}
	return rows.Err()
}

// Track returns a track in any state, or ErrNotFound. Callers decide who may see it.
func (s *DB) Track(ctx context.Context, id int64) (chorus.Track, error) {
	return trackByID(ctx, s.dialect, s.db, id)
}

// Track returns a track within the transaction, or ErrNotFound.
func (tx *Tx) Track(ctx context.Context, id int64) (chorus.Track, error) {
	return trackByID(ctx, tx.dialect, tx.tx, id)
}

func trackByID(ctx context.Context, d Dialect, q querier, id int64) (chorus.Track, error) {
	ts, err := (&DB{dialect: d}).tracks(ctx, q, `WHERE t.id = ?`, id)
	if err != nil {
		return chorus.Track{}, err
	}
	if len(ts) == 0 {
		return chorus.Track{}, fmt.Errorf("track %d: %w", id, chorus.ErrNotFound)
	}
	return ts[0], nil
}

// TrackOrder selects how track lists are sorted.
type TrackOrder int

// Track orders.
const (
	NewestFirst  TrackOrder = iota // most recently published first
	MostPlayed                     // most plays first
	AlbumOrder                     // disc, then track number
	UploadedDesc                   // most recently uploaded first (studio)
)

// TrackFilter selects tracks for a list.
type TrackFilter struct {
	ArtistID int64
	AlbumID  int64
	Tag      string
	// All includes tracks that are not public (for their artist's studio).
	All    bool
	Order  TrackOrder
	Limit  int // at most this many; 0 means 50
	Offset int
}

// Tracks lists tracks matching f, and how many match in all.
func (s *DB) Tracks(ctx context.Context, f TrackFilter) ([]chorus.Track, int, error) {
	var conds []string
	var args []any
	if !f.All {
		conds = append(conds, publicTrack)
	}
	if f.ArtistID != 0 {
		conds = append(conds, "t.artist_id = ?")
		args = append(args, f.ArtistID)
	}
	if f.AlbumID != 0 {
		conds = append(conds, "t.album_id = ?")
		args = append(args, f.AlbumID)
	}
	if f.Tag != "" && !storable(f.Tag) {
		return nil, 0, nil
	}
	if f.Tag != "" {
		conds = append(conds, "t.id IN (SELECT track_id FROM track_tags WHERE tag = ?)")
		args = append(args, f.Tag)
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM tracks t `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := map[TrackOrder]string{
		NewestFirst:  "t.published_at DESC, t.id DESC",
		MostPlayed:   "COALESCE(tp.plays, 0) DESC, t.published_at DESC, t.id DESC",
		AlbumOrder:   "t.disc_number, t.track_number, t.id",
		UploadedDesc: "t.id DESC",
	}[f.Order]
	if f.Limit <= 0 {
		f.Limit = 50
	}
	ts, err := s.tracks(ctx, s.db, where+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	return ts, total, err
}

// NewTrack is an acknowledged upload, stored before processing.
type NewTrack struct {
	ArtistID         int64
	AlbumTitle       string // "" for a single
	Year             int
	Title            string
	TrackNumber      int
	DiscNumber       int
	Tags             []string
	LicenceID        string // "" when the artist has not chosen yet
	OriginalKey      string
	OriginalFormat   string
	OriginalMIME     string
	OriginalSize     int64
	OriginalName     string
	ContentHash      string
	Duration         time.Duration
	DownloadOriginal bool
	// Publish makes the track public as soon as processing succeeds
	// (the import command, where the licence was given on the command line).
	Publish bool
}

// ErrDuplicate is returned by InsertTrack when the artist already has a
// track with the same content hash; the error wraps chorus.ErrConflict.
var ErrDuplicate = fmt.Errorf("this file was already uploaded by this artist: %w", chorus.ErrConflict)

// InsertTrack stores an uploaded track in the processing state, creating its
// album when AlbumTitle names one the artist does not have yet.
func (tx *Tx) InsertTrack(ctx context.Context, nt NewTrack) (int64, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM tracks WHERE artist_id = ? AND content_hash = ?`, nt.ArtistID, nt.ContentHash).Scan(&n); err != nil {
		return 0, err
	} else if n > 0 {
		return 0, ErrDuplicate
	}
	var albumID any
	if nt.AlbumTitle != "" {
		id, err := tx.EnsureAlbum(ctx, nt.ArtistID, nt.AlbumTitle, nt.Year)
		if err != nil {
			return 0, err
		}
		albumID = id
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO tracks (artist_id, album_id, title, track_number, disc_number, year, licence_id,
		download_original, status, published, original_key, original_format, original_mime, original_size, original_name,
		content_hash, duration_ms, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nt.ArtistID, albumID, nt.Title, nt.TrackNumber, nt.DiscNumber, nt.Year, nt.LicenceID,
		nt.DownloadOriginal, string(chorus.TrackProcessing), nt.Publish, nt.OriginalKey, nt.OriginalFormat, nt.OriginalMIME,
		nt.OriginalSize, nt.OriginalName, nt.ContentHash, nt.Duration.Milliseconds(), tx.Now, tx.Now).Scan(&id)
	if isUniqueViolation(err) {
		return 0, ErrDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("insert track: %w", err)
	}
	if err := tx.setTags(ctx, id, nt.Tags); err != nil {
		return 0, err
	}
	return id, nil
}

// EnsureAlbum returns the id of the artist's album with this title
// (compared with chorus.FoldKey), creating it when needed.
func (tx *Tx) EnsureAlbum(ctx context.Context, artistID int64, title string, year int) (int64, error) {
	key := chorus.FoldKey(title)
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM albums WHERE artist_id = ? AND title_key = ?`, artistID, key).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	// ON CONFLICT: two imports of one album may race; the loser reads the
	// winner's row.
	if _, err := tx.exec(ctx, `INSERT INTO albums (artist_id, title, title_key, slug, year, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (artist_id, title_key) DO NOTHING`, artistID, title, key, chorus.Slug(title), year, tx.Now); err != nil {
		return 0, err
	}
	err = tx.queryRow(ctx, `SELECT id FROM albums WHERE artist_id = ? AND title_key = ?`, artistID, key).Scan(&id)
	return id, err
}

func (tx *Tx) setTags(ctx context.Context, trackID int64, tags []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM track_tags WHERE track_id = ?`, trackID); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		tag = NormaliseTag(tag)
		if tag == "" || seen[tag] {
			continue
		}
		seen[tag] = true
		if _, err := tx.exec(ctx, `INSERT INTO track_tags (track_id, tag) VALUES (?, ?)`, trackID, tag); err != nil {
			return err
		}
	}
	return nil
}

// NormaliseTag makes the stored form of a tag: lower case, single spaces,
// at most 40 characters, no leading '#'.
func NormaliseTag(s string) string {
	s = strings.TrimLeft(strings.TrimSpace(s), "#")
	s = chorus.CleanText(strings.ToLower(strings.Join(strings.Fields(s), " ")), 40, false)
	if chorus.SearchText(s) == "" { // only punctuation: ".", "..", "!!"
		return ""
	}
	return s
}

// TrackEdit is what an artist may change before or after publishing.
type TrackEdit struct {
	Title            string
	AlbumTitle       string // "" makes the track a single
	TrackNumber      int
	Year             int
	Tags             []string
	LicenceID        string
	DownloadOriginal bool
}

// EditTrack applies e to the track and refreshes the search index.
func (tx *Tx) EditTrack(ctx context.Context, id int64, e TrackEdit) error {
	t, err := tx.Track(ctx, id)
	if err != nil {
		return err
	}
	var albumID any
	if e.AlbumTitle != "" {
		aid, err := tx.EnsureAlbum(ctx, t.ArtistID, e.AlbumTitle, e.Year)
		if err != nil {
			return err
		}
		albumID = aid
	}
	if _, err := tx.exec(ctx, `UPDATE tracks SET title = ?, album_id = ?, track_number = ?, year = ?, licence_id = ?,
		download_original = ?, updated_at = ? WHERE id = ?`,
		e.Title, albumID, e.TrackNumber, e.Year, e.LicenceID, e.DownloadOriginal, tx.Now, id); err != nil {
		return err
	}
	if err := tx.setTags(ctx, id, e.Tags); err != nil {
		return err
	}
	if err := tx.dropEmptyAlbum(ctx, t.AlbumID); err != nil {
		return err
	}
	return tx.reindex(ctx, id, t.AlbumID)
}

func (tx *Tx) dropEmptyAlbum(ctx context.Context, albumID int64) error {
	if albumID == 0 {
		return nil
	}
	_, err := tx.exec(ctx, `DELETE FROM albums WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tracks WHERE album_id = ?)`, albumID, albumID)
	return err
}

// SetPublished publishes or unpublishes a track. Publishing needs a chosen
// licence; the track becomes visible once its processing is ready.
func (tx *Tx) SetPublished(ctx context.Context, id int64, published bool) error {
	t, err := tx.Track(ctx, id)
	if err != nil {
		return err
	}
	if published && t.LicenceID == "" {
		inv := &chorus.InvalidError{}
		inv.Add("licence", "Choose a licence before publishing.")
		return inv
	}
	var at any
	if published {
		at = tx.Now
		if !t.PublishedAt.IsZero() {
			at = t.PublishedAt
		}
	}
	if _, err := tx.exec(ctx, `UPDATE tracks SET published = ?, published_at = ?, updated_at = ? WHERE id = ?`, published, at, tx.Now, id); err != nil {
		return err
	}
	return tx.reindex(ctx, id, 0)
}

// ProcessedTrack is what a finished transcode job records.
type ProcessedTrack struct {
	StreamKey  string
	StreamSize int64
	StreamHash string
	Duration   time.Duration
	Peaks      []float32
	CoverKey   string // "" keeps the current one
}

// MarkProcessed records a successful transcode and makes the track ready.
func (tx *Tx) MarkProcessed(ctx context.Context, id int64, p ProcessedTrack) error {
	peaks, err := json.Marshal(roundPeaks(p.Peaks))
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE tracks SET status = 'ready', processing_error = '', stream_key = ?, stream_size = ?,
		stream_hash = ?, duration_ms = ?, peaks = ?, cover_key = CASE WHEN ? = '' THEN cover_key ELSE ? END,
		published_at = CASE WHEN published = TRUE AND published_at IS NULL THEN ? ELSE published_at END, updated_at = ?
		WHERE id = ?`, p.StreamKey, p.StreamSize, p.StreamHash, p.Duration.Milliseconds(), string(peaks), p.CoverKey, p.CoverKey, tx.Now, tx.Now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("track %d: %w", id, chorus.ErrNotFound)
	}
	return tx.reindex(ctx, id, 0)
}

func roundPeaks(p []float32) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = float64(int(v*1000+0.5)) / 1000
	}
	return out
}

// MarkProcessingError records why an attempt failed. With failed set the
// track is marked failed (no more automatic retries); otherwise it stays in
// processing and the reason is shown while the job retries.
func (tx *Tx) MarkProcessingError(ctx context.Context, id int64, reason string, failed bool) error {
	status := chorus.TrackProcessing
	if failed {
		status = chorus.TrackFailed
	}
	_, err := tx.exec(ctx, `UPDATE tracks SET status = ?, processing_error = ?, updated_at = ? WHERE id = ?`,
		string(status), chorus.CleanText(reason, 500, false), tx.Now, id)
	return err
}

// MarkReprocessing puts a failed track back into processing for a retry.
func (tx *Tx) MarkReprocessing(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE tracks SET status = 'processing', processing_error = '', updated_at = ? WHERE id = ?`, tx.Now, id)
	return err
}

// CountPlay adds one to a public track's play counter (track_plays); a
// track that no longer exists is skipped.
func (s *DB) CountPlay(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, `INSERT INTO track_plays (track_id, plays) SELECT id, 1 FROM tracks WHERE id = ?
		ON CONFLICT (track_id) DO UPDATE SET plays = track_plays.plays + 1`, id)
	return err
}

// TrackByContentHash returns the artist's track with this content hash, or ErrNotFound.
func (s *DB) TrackByContentHash(ctx context.Context, artistID int64, hash string) (chorus.Track, error) {
	ts, err := s.tracks(ctx, s.db, `WHERE t.artist_id = ? AND t.content_hash = ?`, artistID, hash)
	if err != nil {
		return chorus.Track{}, err
	}
	if len(ts) == 0 {
		return chorus.Track{}, chorus.ErrNotFound
	}
	return ts[0], nil
}

// TrackStates counts tracks per status among the given ids.
func (s *DB) TrackStates(ctx context.Context, ids []int64) (map[int64]chorus.Track, error) {
	out := map[int64]chorus.Track{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(len(ids), start+500)]
		marks := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			marks[i], args[i] = "?", id
		}
		ts, err := s.tracks(ctx, s.db, `WHERE t.id IN (`+strings.Join(marks, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out[t.ID] = t
		}
	}
	return out, nil
}

// FileDirs returns the file-store folders that rows point at: each track's
// folder (original, stream, cover) and each artist picture's folder.
func (s *DB) FileDirs(ctx context.Context) (map[string]bool, error) {
	dirs := map[string]bool{}
	for _, q := range []string{`SELECT original_key FROM tracks`, `SELECT picture_key FROM artists WHERE picture_key <> ''`} {
		rows, err := s.query(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key string
			if err := rows.Scan(&key); err != nil {
				rows.Close()
				return nil, err
			}
			dirs[path.Dir(key)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// DeleteTrack removes a track, its tags and its search document, and its
// album when it was the album's last track. It returns the track as it was,
// so the caller can delete its stored files once the transaction commits.
func (tx *Tx) DeleteTrack(ctx context.Context, id int64) (chorus.Track, error) {
	t, err := tx.Track(ctx, id)
	if err != nil {
		return t, err
	}
	if err := tx.putDoc(ctx, kindTrack, id, ""); err != nil {
		return t, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM tracks WHERE id = ?`, id); err != nil {
		return t, err
	}
	if err := tx.dropEmptyAlbum(ctx, t.AlbumID); err != nil {
		return t, err
	}
	// The album and artist documents depend on their remaining public tracks.
	if err := tx.reindexAlbum(ctx, t.AlbumID); err != nil {
		return t, err
	}
	return t, tx.reindexArtist(ctx, t.ArtistID)
}
