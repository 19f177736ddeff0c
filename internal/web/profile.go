package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// profileField is a field of the profile form with the member's choice of
// who can see it.
type profileField struct {
	FieldInfo
	// Visibility names the public/private radio pair; Subject completes
	// its legend ("Who can see your real name?").
	Visibility, Subject string
	Public              bool
}

// Form field names of the profile form. Each visibility field is
// "public" or "private".
const (
	visibilityPublic  = "public"
	visibilityPrivate = "private"
)

// maxLinksText bounds the links box, in characters: five links of the
// longest kind on their own lines.
const maxLinksText = chorus.MaxProfileLinks * (chorus.MaxLinkLen + 2)

func profileFields(p chorus.Profile, linksText string, inv *chorus.InvalidError) []profileField {
	errs := map[string]string{}
	if inv != nil {
		errs = inv.Fields
	}
	return []profileField{
		{FieldInfo: asked("members", "real_name", FieldInfo{Name: "real_name", Label: "Real name", Type: "text", Autocomplete: "name", MaxLen: chorus.MaxRealNameLen,
			Value: p.RealName, Error: errs["real_name"]}),
			Visibility: "real_name_visibility", Subject: "real name", Public: p.RealNamePublic},
		{FieldInfo: asked("members", "location", FieldInfo{Name: "location", Label: "Location", Type: "text", MaxLen: chorus.MaxLocationLen,
			Value: p.Location, Error: errs["location"]}),
			Visibility: "location_visibility", Subject: "location", Public: p.LocationPublic},
		{FieldInfo: asked("members", "bio", FieldInfo{Name: "bio", Label: "About you", Type: "textarea", MaxLen: chorus.MaxBioLen,
			Value: p.Bio, Error: errs["bio"]}),
			Visibility: "bio_visibility", Subject: "description", Public: p.BioPublic},
		{FieldInfo: asked("members", "links", FieldInfo{Name: "links", Label: "Links", Type: "textarea", MaxLen: maxLinksText,
			Value: linksText, Error: errs["links"]}),
			Visibility: "links_visibility", Subject: "links", Public: p.LinksPublic},
		{FieldInfo: asked("members", "picture_key", FieldInfo{Name: "picture", Label: "Profile picture", Type: "file", Error: errs["picture"]}),
			Visibility: "picture_visibility", Subject: "picture", Public: p.PicturePublic},
	}
}

func (s *Server) profileForm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.DB.Profile(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	return s.renderProfile(w, r, http.StatusOK, p, strings.Join(p.Links, "\n"), nil)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, p chorus.Profile, linksText string, inv *chorus.InvalidError) error {
	msg := ""
	if inv != nil {
		msg = inv.Message
		if msg == "" {
			msg = "Nothing was saved: please correct what is marked below."
		}
	}
	w.Header().Set("Cache-Control", "no-store") // personal data: kept by no cache (RFC 9111 §5.2.2.5)
	return s.render(w, r, status, "settings_profile.html", "Your profile", map[string]any{
		"Fields": profileFields(p, linksText, inv), "HasPicture": p.PictureKey != "", "PicturePublic": p.PicturePublic, "Error": msg,
	})
}

// profileText cleans one text field of the profile form (chorus.CleanText)
// and refuses it, under field, when it is longer than max characters.
func profileText(inv *chorus.InvalidError, field, value string, max int, multiline bool) string {
	v := chorus.CleanText(value, max+1, multiline)
	if utf8.RuneCountInString(v) > max {
		inv.Add(field, fmt.Sprintf("Use at most %d characters.", max))
	}
	return v
}

// profileLinks reads the links box, one link per line, checking each with
// chorus.CheckLink; problems are added to inv under "links".
func profileLinks(inv *chorus.InvalidError, text string) []string {
	var links []string
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if n++; n > chorus.MaxProfileLinks {
			inv.Add("links", fmt.Sprintf("Give at most %d links.", chorus.MaxProfileLinks))
			break
		}
		l, err := chorus.CheckLink(line)
		if err != nil {
			inv.Add("links", fmt.Sprintf("Link %d %s.", n, err))
			continue
		}
		links = append(links, l)
	}
	return links
}

// saveProfile saves the profile form (multipart: the texts, the
// visibility of each, and an optional new picture). Nothing is saved when
// any part is refused; the form comes back with what the member typed.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	current, err := s.DB.Profile(r.Context(), m.ID)
	if err != nil {
		return err
	}
	if err := parsePictureForm(w, r); err != nil {
		var unread *chorus.InvalidError
		if !errors.As(err, &unread) || wantsJSON(r) {
			return err
		}
		inv := &chorus.InvalidError{Message: "Nothing was saved: " + unread.Message}
		inv.Add("picture", unread.Message)
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, current, strings.Join(current.Links, "\n"), inv)
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	inv := &chorus.InvalidError{}
	public := func(field string) bool { return r.FormValue(field) == visibilityPublic }
	p := chorus.Profile{
		RealName:       profileText(inv, "real_name", r.FormValue("real_name"), chorus.MaxRealNameLen, false),
		Location:       profileText(inv, "location", r.FormValue("location"), chorus.MaxLocationLen, false),
		Bio:            profileText(inv, "bio", r.FormValue("bio"), chorus.MaxBioLen, true),
		RealNamePublic: public("real_name_visibility"),
		LocationPublic: public("location_visibility"),
		BioPublic:      public("bio_visibility"),
		LinksPublic:    public("links_visibility"),
		PicturePublic:  public("picture_visibility"),
	}
	linksText := profileText(inv, "links", r.FormValue("links"), maxLinksText, true)
	p.Links = profileLinks(inv, linksText)
	p.PictureKey = s.formPicture(r, "members", inv)

	if err := inv.Err(); err != nil {
		if p.PictureKey != "" {
			s.deletePicture(r, p.PictureKey)
			inv.Add("picture", "Choose the picture again: nothing was saved because of the other problems.")
		}
		if wantsJSON(r) {
			return err
		}
		p.PictureKey = current.PictureKey
		return s.renderProfile(w, r, http.StatusUnprocessableEntity, p, linksText, inv)
	}
	var old string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		old, err = tx.SaveProfile(r.Context(), m.ID, p)
		return err
	})
	if err != nil {
		if p.PictureKey != "" {
			s.deletePicture(r, p.PictureKey)
		}
		return err
	}
	if old != "" {
		s.deletePicture(r, old)
	}
	s.flash(r, "Your profile is saved.")
	http.Redirect(w, r, "/settings/profile", http.StatusSeeOther)
	return nil
}

// removeProfilePicture takes the picture off the member's profile and
// deletes its files.
func (s *Server) removeProfilePicture(w http.ResponseWriter, r *http.Request) error {
	var old string
	err := s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		old, err = tx.RemoveProfilePicture(r.Context(), s.member(r).ID)
		return err
	})
	if err != nil {
		return err
	}
	if old != "" {
		s.deletePicture(r, old)
		s.flash(r, "Your profile picture is removed.")
	}
	http.Redirect(w, r, "/settings/profile", http.StatusSeeOther)
	return nil
}

// publicMember loads the member named by the {username} path value with
// their whole profile. Suspended members are not shown, nor members who
// have not confirmed their address yet (except to themselves): until then
// nothing they write is published.
func (s *Server) publicMember(r *http.Request) (chorus.Member, chorus.Profile, error) {
	m, p, err := s.DB.ProfileByUsername(r.Context(), r.PathValue("username"))
	switch {
	case err != nil:
	case m.Suspended:
		err = fmt.Errorf("member %d is suspended: %w", m.ID, chorus.ErrNotFound)
	case !m.EmailVerified:
		if viewer := s.member(r); viewer == nil || viewer.ID != m.ID {
			err = fmt.Errorf("member %d has not confirmed their address: %w", m.ID, chorus.ErrNotFound)
		}
	}
	return m, p, err
}

// memberPage is a member's public page: the public parts of their profile
// and their artists. Private parts never reach the template.
func (s *Server) memberPage(w http.ResponseWriter, r *http.Request) error {
	m, p, err := s.publicMember(r)
	if err != nil {
		return err
	}
	artists, err := s.DB.ArtistsOfMember(r.Context(), m.ID)
	if err != nil {
		return err
	}
	viewer := s.member(r)
	pub, err := s.publicCommunity(r.Context(), m.ID)
	if err != nil {
		return err
	}
	var following, blocked bool
	if viewer != nil {
		if following, err = s.DB.Marked(r.Context(), viewer.ID, chorus.Target{Kind: chorus.OnMember, ID: m.ID}); err != nil {
			return err
		}
		if blocked, err = s.DB.Blocking(r.Context(), viewer.ID, m.ID); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store") // visibility may change at any moment
	return s.render(w, r, http.StatusOK, "member.html", m.Username, map[string]any{
		"Username": m.Username, "MemberID": m.ID, "Profile": p.Public(), "Artists": artists, "Own": viewer != nil && viewer.ID == m.ID,
		"Community": pub, "Following": following, "Blocked": blocked,
	})
}

// memberPicture serves a member's picture: to everyone when it is public,
// else to the member only. Caches must check each time (no-cache), so
// that making the picture private or removing it takes effect at once.
func (s *Server) memberPicture(w http.ResponseWriter, r *http.Request) error {
	m, p, err := s.publicMember(r)
	if err != nil {
		return err
	}
	viewer := s.member(r)
	own := viewer != nil && viewer.ID == m.ID
	if p.PictureKey == "" || (!p.PicturePublic && !own) {
		return fmt.Errorf("picture of member %d: %w", m.ID, chorus.ErrNotFound)
	}
	cache := "public, no-cache"
	if !p.PicturePublic {
		cache = "private, no-store"
	}
	return s.serveImage(w, r, p.PictureKey, cache)
}

// publicCommunity is what a member's page shows of their community life:
// public playlists always, favourites, follows and reviews only as the
// member chose (nil lists otherwise, so the template cannot show them).
type publicCommunity struct {
	Playlists                    []chorus.Playlist
	Favourites, Follows, Reviews []chorus.Link
	ShowFavourites, ShowFollows  bool
	ShowActivity                 bool
}

func (s *Server) publicCommunity(ctx context.Context, memberID int64) (publicCommunity, error) {
	var pc publicCommunity
	c, err := s.DB.CommunityChoices(ctx, memberID)
	if err != nil {
		return pc, err
	}
	if pc.Playlists, err = s.DB.Playlists(ctx, memberID, true); err != nil {
		return pc, err
	}
	pc.ShowFavourites, pc.ShowFollows, pc.ShowActivity = c.FavouritesPublic, c.FollowsPublic, c.ActivityPublic
	if c.FavouritesPublic {
		if pc.Favourites, err = s.DB.Favourites(ctx, memberID); err != nil {
			return pc, err
		}
	}
	if c.FollowsPublic {
		if pc.Follows, err = s.DB.Follows(ctx, memberID); err != nil {
			return pc, err
		}
	}
	if c.ActivityPublic {
		if pc.Reviews, err = s.DB.ReviewsBy(ctx, memberID); err != nil {
			return pc, err
		}
	}
	return pc, nil
}
