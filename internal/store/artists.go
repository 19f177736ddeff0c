package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"chorus/internal/chorus"
)

const artistColumns = `a.id, COALESCE(a.member_id, 0), a.name, a.slug, a.bio, a.picture_key, a.created_at`

func scanArtist(row interface{ Scan(...any) error }) (chorus.Artist, error) {
	var a chorus.Artist
	err := row.Scan(&a.ID, &a.MemberID, &a.Name, &a.Slug, &a.Bio, &a.PictureKey, &a.CreatedAt)
	return a, err
}

// CreateArtist inserts an artist with a unique slug made from its name.
// A name already in use (compared with chorus.FoldKey) is an *InvalidError.
func (tx *Tx) CreateArtist(ctx context.Context, a chorus.Artist) (chorus.Artist, error) {
	key := chorus.FoldKey(a.Name)
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM artists WHERE name_key = ?`, key).Scan(&n); err != nil {
		return a, err
	} else if n > 0 {
		inv := &chorus.InvalidError{}
		inv.Add("name", "An artist with this name already exists on Chorus. Please choose another name.")
		return a, inv
	}
	slug, err := tx.uniqueSlug(ctx, chorus.Slug(a.Name))
	if err != nil {
		return a, err
	}
	var memberID any
	if a.MemberID != 0 {
		memberID = a.MemberID
	}
	a.Slug, a.CreatedAt = slug, tx.Now
	err = tx.queryRow(ctx, `INSERT INTO artists (member_id, name, name_key, slug, bio, picture_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, memberID, a.Name, key, a.Slug, a.Bio, a.PictureKey, a.CreatedAt).Scan(&a.ID)
	if err != nil {
		return a, fmt.Errorf("insert artist: %w", err)
	}
	return a, nil
}

func (tx *Tx) uniqueSlug(ctx context.Context, base string) (string, error) {
	slug := base
	for i := 2; ; i++ {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM artists WHERE slug = ?`, slug).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return slug, nil
		}
		slug = base + "-" + strconv.Itoa(i)
	}
}

// EnsureArtist returns the artist called name, creating it (with no
// managing member) when there is none.
func (tx *Tx) EnsureArtist(ctx context.Context, name string) (chorus.Artist, bool, error) {
	a, err := scanArtist(tx.queryRow(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.name_key = ?`, chorus.FoldKey(name)))
	if err == nil {
		return a, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return a, false, err
	}
	// Two imports may create the same artist at once: insert unless it
	// exists by then, and read whichever row won.
	key := chorus.FoldKey(name)
	slug, err := tx.uniqueSlug(ctx, chorus.Slug(name))
	if err != nil {
		return a, false, err
	}
	res, err := tx.exec(ctx, `INSERT INTO artists (name, name_key, slug, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		name, key, slug, tx.Now)
	if err != nil {
		return a, false, fmt.Errorf("insert artist: %w", err)
	}
	n, _ := res.RowsAffected()
	a, err = scanArtist(tx.queryRow(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.name_key = ?`, key))
	return a, n == 1, notFound(err, "artist")
}

// SetArtistMember makes a member the manager of an artist that has none.
func (tx *Tx) SetArtistMember(ctx context.Context, artistID, memberID int64) error {
	res, err := tx.exec(ctx, `UPDATE artists SET member_id = ? WHERE id = ? AND member_id IS NULL`, memberID, artistID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("artist %d already has a manager: %w", artistID, chorus.ErrConflict)
	}
	return tx.BecomeArtist(ctx, memberID)
}

// UpdateArtistPicture sets the file-store key prefix of an artist's picture.
func (tx *Tx) UpdateArtistPicture(ctx context.Context, artistID int64, key string) error {
	_, err := tx.exec(ctx, `UPDATE artists SET picture_key = ? WHERE id = ?`, key, artistID)
	return err
}

// ArtistBySlug returns the artist with the given slug, or ErrNotFound.
func (s *DB) ArtistBySlug(ctx context.Context, slug string) (chorus.Artist, error) {
	if !storable(slug) {
		return chorus.Artist{}, fmt.Errorf("artist %q: %w", slug, chorus.ErrNotFound)
	}
	a, err := scanArtist(s.queryRow(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.slug = ?`, slug))
	return a, notFound(err, "artist")
}

// Artist returns the artist with the given id, or ErrNotFound.
func (s *DB) Artist(ctx context.Context, id int64) (chorus.Artist, error) {
	a, err := scanArtist(s.queryRow(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.id = ?`, id))
	return a, notFound(err, "artist")
}

// ArtistsOfMember returns the artists a member manages, oldest first.
func (s *DB) ArtistsOfMember(ctx context.Context, memberID int64) ([]chorus.Artist, error) {
	rows, err := s.query(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.member_id = ? ORDER BY a.id`, memberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chorus.Artist
	for rows.Next() {
		a, err := scanArtist(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ArtistSummary is an artist with counts of their public music, for lists.
type ArtistSummary struct {
	chorus.Artist
	Tracks int
	Albums int
}

// PublicArtists lists artists with at least one public track, most recently
// published first.
func (s *DB) PublicArtists(ctx context.Context, limit, offset int) ([]ArtistSummary, error) {
	return s.artistSummaries(ctx, `WHERE a.id IN (SELECT artist_id FROM tracks t WHERE `+publicTrack+`)`, limit, offset)
}

func (s *DB) artistSummaries(ctx context.Context, where string, limit, offset int, args ...any) ([]ArtistSummary, error) {
	q := `SELECT ` + artistColumns + `,
		(SELECT COUNT(*) FROM tracks t WHERE t.artist_id = a.id AND ` + publicTrack + `),
		(SELECT COUNT(DISTINCT t.album_id) FROM tracks t WHERE t.artist_id = a.id AND t.album_id IS NOT NULL AND ` + publicTrack + `)
		FROM artists a ` + where + ` ORDER BY (SELECT MAX(t.published_at) FROM tracks t WHERE t.artist_id = a.id AND ` + publicTrack + `) DESC, a.id DESC LIMIT ? OFFSET ?`
	rows, err := s.query(ctx, q, append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ArtistSummary
	for rows.Next() {
		var a ArtistSummary
		if err := rows.Scan(&a.ID, &a.MemberID, &a.Name, &a.Slug, &a.Bio, &a.PictureKey, &a.CreatedAt, &a.Tracks, &a.Albums); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ArtistMember returns the id of the member who manages the artist, 0 if none.
func (tx *Tx) ArtistMember(ctx context.Context, artistID int64) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT COALESCE(member_id, 0) FROM artists WHERE id = ?`, artistID).Scan(&id)
	return id, notFound(err, "artist")
}

// ArtistEdit is what a member may change on an artist profile. The slug,
// and so the artist's URLs, stay as they are.
type ArtistEdit struct {
	Name, Bio string
	// PictureKey replaces the picture when not empty.
	PictureKey string
}

// EditArtist updates an artist and the search documents that carry its
// name. A name another artist has is an *InvalidError. It returns the
// previous picture key when the picture was replaced, for deletion.
func (tx *Tx) EditArtist(ctx context.Context, id int64, e ArtistEdit) (oldPicture string, err error) {
	key := chorus.FoldKey(e.Name)
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM artists WHERE name_key = ? AND id <> ?`, key, id).Scan(&n); err != nil {
		return "", err
	} else if n > 0 {
		inv := &chorus.InvalidError{}
		inv.Add("name", "An artist with this name already exists on Chorus. Please choose another name.")
		return "", inv
	}
	a, err := scanArtist(tx.queryRow(ctx, `SELECT `+artistColumns+` FROM artists a WHERE a.id = ?`, id))
	if err != nil {
		return "", notFound(err, "artist")
	}
	picture := a.PictureKey
	if e.PictureKey != "" {
		picture, oldPicture = e.PictureKey, a.PictureKey
	}
	if _, err := tx.exec(ctx, `UPDATE artists SET name = ?, name_key = ?, bio = ?, picture_key = ? WHERE id = ?`,
		e.Name, key, e.Bio, picture, id); err != nil {
		return "", err
	}
	rows, err := tx.query(ctx, `SELECT id FROM tracks WHERE artist_id = ?`, id)
	if err != nil {
		return "", err
	}
	var ids []int64
	for rows.Next() {
		var tid int64
		if err := rows.Scan(&tid); err != nil {
			rows.Close()
			return "", err
		}
		ids = append(ids, tid)
	}
	rows.Close()
	for _, tid := range ids {
		if err := tx.reindex(ctx, tid, 0); err != nil {
			return "", err
		}
	}
	return oldPicture, tx.reindexArtist(ctx, id)
}
