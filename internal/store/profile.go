package store

import (
	"context"
	"fmt"
	"strings"

	"chorus/internal/chorus"
)

const profileColumns = `real_name, real_name_public, location, location_public, bio, bio_public,
	links, links_public, picture_key, picture_public`

// profileFields returns the scan destinations of profileColumns; links
// receives the one-per-line text that splitLinks turns into p.Links.
func profileFields(p *chorus.Profile, links *string) []any {
	return []any{&p.RealName, &p.RealNamePublic, &p.Location, &p.LocationPublic, &p.Bio, &p.BioPublic,
		links, &p.LinksPublic, &p.PictureKey, &p.PicturePublic}
}

func splitLinks(links string) []string {
	if links == "" {
		return nil
	}
	return strings.Split(links, "\n")
}

// Profile returns the member's profile, private parts included.
//
// Errors: ErrNotFound when there is no such member.
func (s *DB) Profile(ctx context.Context, memberID int64) (chorus.Profile, error) {
	var p chorus.Profile
	var links string
	err := s.queryRow(ctx, `SELECT `+profileColumns+` FROM members WHERE id = ?`, memberID).Scan(profileFields(&p, &links)...)
	p.Links = splitLinks(links)
	return p, notFound(err, "member")
}

// ProfileByUsername returns the member whose username is username (compared
// with chorus.UsernameKey, so case does not matter) and their whole
// profile; callers showing it to others must use Profile.Public.
//
// Errors: ErrNotFound when there is no such member.
func (s *DB) ProfileByUsername(ctx context.Context, username string) (chorus.Member, chorus.Profile, error) {
	if !storable(username) {
		return chorus.Member{}, chorus.Profile{}, fmt.Errorf("member: %w", chorus.ErrNotFound)
	}
	var p chorus.Profile
	row := s.queryRow(ctx, `SELECT `+memberColumns+`, `+profileColumns+` FROM members WHERE username_key = ?`, chorus.UsernameKey(username))
	var links string
	m, err := scanMember(row, profileFields(&p, &links)...)
	p.Links = splitLinks(links)
	return m, p, notFound(err, "member")
}

// SaveProfile stores p as the member's profile. p's texts must already be
// checked (chorus limits, CheckLink); a link holding a newline is refused,
// as links are kept one per line. An empty p.PictureKey keeps the current
// picture (and its visibility is still set from p.PicturePublic); another
// replaces it, and the replaced key is returned so that its files can be
// deleted once the transaction commits.
//
// Errors: ErrNotFound when there is no such member.
func (tx *Tx) SaveProfile(ctx context.Context, memberID int64, p chorus.Profile) (oldPicture string, err error) {
	for _, l := range p.Links {
		if l == "" || strings.ContainsAny(l, "\r\n") {
			return "", fmt.Errorf("profile link %q: not one line", l)
		}
	}
	var current string
	if err := tx.queryRow(ctx, `SELECT picture_key FROM members WHERE id = ?`, memberID).Scan(&current); err != nil {
		return "", notFound(err, "member")
	}
	picture := current
	if p.PictureKey != "" && p.PictureKey != current {
		picture, oldPicture = p.PictureKey, current
	}
	_, err = tx.exec(ctx, `UPDATE members SET real_name = ?, real_name_public = ?, location = ?, location_public = ?,
		bio = ?, bio_public = ?, links = ?, links_public = ?, picture_key = ?, picture_public = ? WHERE id = ?`,
		p.RealName, p.RealNamePublic, p.Location, p.LocationPublic, p.Bio, p.BioPublic,
		strings.Join(p.Links, "\n"), p.LinksPublic, picture, p.PicturePublic, memberID)
	if err != nil {
		return "", fmt.Errorf("save profile: %w", err)
	}
	return oldPicture, nil
}

// RemoveProfilePicture takes the member's picture off their profile and
// returns its key ("" when there was none) so that its files can be
// deleted once the transaction commits.
//
// Errors: ErrNotFound when there is no such member.
func (tx *Tx) RemoveProfilePicture(ctx context.Context, memberID int64) (string, error) {
	var key string
	if err := tx.queryRow(ctx, `SELECT picture_key FROM members WHERE id = ?`, memberID).Scan(&key); err != nil {
		return "", notFound(err, "member")
	}
	if _, err := tx.exec(ctx, `UPDATE members SET picture_key = '' WHERE id = ?`, memberID); err != nil {
		return "", fmt.Errorf("remove profile picture: %w", err)
	}
	return key, nil
}

// ClearProfileText empties one text field of the member's profile, named
// by its column: "real_name", "location", "bio" or "links". Who may see
// the field is kept, for when the member fills it in again.
//
// Errors: ErrNotFound when there is no such member or no such field.
func (tx *Tx) ClearProfileText(ctx context.Context, memberID int64, field string) error {
	queries := map[string]string{
		"real_name": `UPDATE members SET real_name = '' WHERE id = ?`,
		"location":  `UPDATE members SET location = '' WHERE id = ?`,
		"bio":       `UPDATE members SET bio = '' WHERE id = ?`,
		"links":     `UPDATE members SET links = '' WHERE id = ?`,
	}
	q, ok := queries[field]
	if !ok {
		return fmt.Errorf("profile field %q: %w", field, chorus.ErrNotFound)
	}
	res, err := tx.exec(ctx, q, memberID)
	if err != nil {
		return fmt.Errorf("clear %s: %w", field, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("member %d: %w", memberID, chorus.ErrNotFound)
	}
	return nil
}
