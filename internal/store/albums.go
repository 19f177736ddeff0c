package store

import (
	"context"
	"fmt"

	"chorus/internal/chorus"
)

// albumColumns select an album with its public track count; albums with no
// public track are not public.
const albumColumns = `al.id, al.artist_id, a.name, a.slug, al.title, al.slug, al.year, al.cover_key, al.created_at,
	(SELECT COUNT(*) FROM tracks t WHERE t.album_id = al.id AND ` + publicTrack + `),
	COALESCE((SELECT MAX(t.cover_key) FROM tracks t WHERE t.album_id = al.id AND ` + publicTrack + `), ''),
	COALESCE((SELECT MIN(t.id) FROM tracks t WHERE t.album_id = al.id AND t.cover_key <> '' AND ` + publicTrack + `), 0)`

func scanAlbum(row interface{ Scan(...any) error }) (chorus.Album, error) {
	var al chorus.Album
	var trackCover string
	err := row.Scan(&al.ID, &al.ArtistID, &al.ArtistName, &al.ArtistSlug, &al.Title, &al.Slug, &al.Year, &al.CoverKey,
		&al.CreatedAt, &al.TrackCount, &trackCover, &al.CoverTrackID)
	if al.CoverKey == "" {
		al.CoverKey = trackCover
	}
	return al, err
}

// PublicAlbum returns an album with at least one public track, or ErrNotFound.
func (s *DB) PublicAlbum(ctx context.Context, id int64) (chorus.Album, error) {
	al, err := scanAlbum(s.queryRow(ctx, `SELECT `+albumColumns+` FROM albums al JOIN artists a ON a.id = al.artist_id WHERE al.id = ?`, id))
	if err != nil {
		return al, notFound(err, "album")
	}
	if al.TrackCount == 0 {
		return al, fmt.Errorf("album %d has no public track: %w", id, chorus.ErrNotFound)
	}
	return al, nil
}

// AlbumFilter selects public albums.
type AlbumFilter struct {
	ArtistID      int64
	Limit, Offset int
}

// PublicAlbums lists albums with at least one public track, newest first.
func (s *DB) PublicAlbums(ctx context.Context, f AlbumFilter) ([]chorus.Album, error) {
	where := `WHERE EXISTS (SELECT 1 FROM tracks t WHERE t.album_id = al.id AND ` + publicTrack + `)`
	var args []any
	if f.ArtistID != 0 {
		where += ` AND al.artist_id = ?`
		args = append(args, f.ArtistID)
	}
	if f.Limit <= 0 {
		f.Limit = 24
	}
	rows, err := s.query(ctx, `SELECT `+albumColumns+` FROM albums al JOIN artists a ON a.id = al.artist_id `+where+`
		ORDER BY (SELECT MAX(t.published_at) FROM tracks t WHERE t.album_id = al.id AND `+publicTrack+`) DESC, al.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Album
	for rows.Next() {
		al, err := scanAlbum(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, al)
	}
	return out, rows.Err()
}

// TagCount is a tag with the number of public tracks carrying it.
type TagCount struct {
	Tag    string
	Tracks int
}

// PopularTags returns the tags on the most public tracks.
func (s *DB) PopularTags(ctx context.Context, limit int) ([]TagCount, error) {
	rows, err := s.query(ctx, `SELECT tt.tag, COUNT(*) FROM track_tags tt JOIN tracks t ON t.id = tt.track_id
		WHERE `+publicTrack+` GROUP BY tt.tag ORDER BY COUNT(*) DESC, tt.tag LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TagCount
	for rows.Next() {
		var tc TagCount
		if err := rows.Scan(&tc.Tag, &tc.Tracks); err != nil {
			return nil, err
		}
		out = append(out, tc)
	}
	return out, rows.Err()
}
