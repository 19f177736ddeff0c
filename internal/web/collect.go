package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/store"
)

// setFavourite adds a track or an album to the member's favourites, or
// removes it (on=0).
func (s *Server) setFavourite(w http.ResponseWriter, r *http.Request) error {
	t, err := targetOf(r)
	if err != nil {
		return err
	}
	if (t.Kind != chorus.OnTrack && t.Kind != chorus.OnAlbum) || s.DB.TargetExists(r.Context(), t) != nil {
		return chorus.ErrNotFound
	}
	on := r.PostFormValue("on") != "0"
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SetFavourite(r.Context(), s.member(r).ID, t, on) }); err != nil {
		return err
	}
	if on {
		s.noteCommunityEvent(w, r, analytics.Favourite, t)
	}
	page, _ := s.targetPage(r.Context(), t)
	http.Redirect(w, r, page, http.StatusSeeOther)
	return nil
}

// setFollow follows an artist or a member, or stops (on=0).
func (s *Server) setFollow(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	t, err := targetOf(r)
	if err != nil {
		return err
	}
	if (t.Kind != chorus.OnArtist && t.Kind != chorus.OnMember) || s.DB.TargetExists(r.Context(), t) != nil {
		return chorus.ErrNotFound
	}
	on := r.PostFormValue("on") != "0"
	if on && t.Kind == chorus.OnMember {
		if err := s.refuseIfBlocked(r.Context(), t.ID, m.ID, "follows"); err != nil {
			return err
		}
	}
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if err := tx.SetFollow(r.Context(), m.ID, t, on); err != nil || !on {
			return err
		}
		return s.announce(r.Context(), tx, communityEvent{Kind: eventFollow, ActorID: m.ID, Target: t})
	})
	if err != nil {
		return err
	}
	if on {
		s.noteCommunityEvent(w, r, analytics.Follow, t)
	}
	page, _ := s.targetPage(r.Context(), t)
	http.Redirect(w, r, page, http.StatusSeeOther)
	return nil
}

// noteCommunityEvent queues a favourite, follow or share of target as an
// analytics event (under the person's consent, like every event), naming
// the track, album and artist it concerns so that the statistics of each
// count it. A follow of a member concerns no music and counts for the
// site only.
func (s *Server) noteCommunityEvent(w http.ResponseWriter, r *http.Request, kind analytics.Kind, target chorus.Target) {
	ev := s.newEvent(w, r, kind)
	var err error
	ev.TrackID, ev.AlbumID, ev.ArtistID, err = s.musicOf(r.Context(), target)
	if err != nil {
		s.Logger.Warn("record analytics event", "kind", kind, "err", err)
		return
	}
	s.queueEvent(ev)
}

// musicOf names the track, album and artist a community target concerns
// (0 where it names none).
func (s *Server) musicOf(ctx context.Context, t chorus.Target) (track, album, artist int64, err error) {
	switch t.Kind {
	case chorus.OnTrack:
		tr, err := s.DB.Track(ctx, t.ID)
		return tr.ID, tr.AlbumID, tr.ArtistID, err
	case chorus.OnAlbum:
		a, err := s.DB.PublicAlbum(ctx, t.ID)
		return 0, a.ID, a.ArtistID, err
	case chorus.OnArtist:
		return 0, 0, t.ID, nil
	}
	return 0, 0, 0, nil
}

// playlistForm reads and checks a playlist's name and visibility.
func playlistForm(r *http.Request) (name, visibility string, err error) {
	inv := &chorus.InvalidError{Message: "Nothing was saved."}
	raw := r.PostFormValue("name")
	if n := len([]rune(raw)); n > chorus.MaxPlaylistNameLen {
		inv.Add("name", fmt.Sprintf("The name is %d characters long; the limit is %d.", n, chorus.MaxPlaylistNameLen))
	}
	name = chorus.CleanText(raw, chorus.MaxPlaylistNameLen, false)
	if name == "" {
		inv.Add("name", "Please give the playlist a name.")
	}
	visibility = r.PostFormValue("visibility")
	switch visibility {
	case chorus.PlaylistPublic, chorus.PlaylistUnlisted, chorus.PlaylistPrivate:
	case "":
		visibility = chorus.PlaylistPrivate
	default:
		inv.Add("visibility", "Please choose public, unlisted or private.")
	}
	if len(inv.Fields) > 0 {
		return "", "", inv
	}
	return name, visibility, nil
}

// formTrack reads the "track" field: a public track's id, or 0 when empty.
func (s *Server) formTrack(r *http.Request) (int64, error) {
	v := r.PostFormValue("track")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || s.DB.TargetExists(r.Context(), chorus.Target{Kind: chorus.OnTrack, ID: id}) != nil {
		return 0, chorus.ErrNotFound
	}
	return id, nil
}

func (s *Server) myPlaylists(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.DB.Playlists(r.Context(), s.member(r).ID, false)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "playlists.html", "Your playlists", map[string]any{"Playlists": ps, "MaxLen": chorus.MaxPlaylistNameLen})
}

// createPlaylist makes a playlist, with a first track when the form comes
// from a track page.
func (s *Server) createPlaylist(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	name, visibility, err := playlistForm(r)
	if err != nil {
		return err
	}
	track, err := s.formTrack(r)
	if err != nil {
		return err
	}
	var id string
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		if id, err = tx.CreatePlaylist(r.Context(), m.ID, name, visibility); err != nil || track == 0 {
			return err
		}
		return tx.AddToPlaylist(r.Context(), id, m.ID, track)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/playlists/"+id, http.StatusSeeOther)
	return nil
}

// playlistPage shows a playlist to whoever may see it: a private one only
// to its member (others get 404, as if it did not exist).
func (s *Server) playlistPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.DB.Playlist(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	viewer := s.member(r)
	var viewerID int64
	if viewer != nil {
		viewerID = viewer.ID
	}
	if !p.VisibleTo(viewerID) {
		return fmt.Errorf("private playlist %s: %w", p.ID, chorus.ErrNotFound)
	}
	if p.Visibility != chorus.PlaylistPublic {
		w.Header().Set("X-Robots-Tag", "noindex")
		w.Header().Set("Cache-Control", "no-store")
	}
	var first chorus.Track
	if len(p.Tracks) > 0 {
		first = p.Tracks[0]
	}
	return s.render(w, r, http.StatusOK, "playlist.html", p.Name, map[string]any{"Playlist": p, "First": first,
		"Own": viewerID != 0 && viewerID == p.MemberID, "MaxLen": chorus.MaxPlaylistNameLen})
}

func (s *Server) updatePlaylist(w http.ResponseWriter, r *http.Request) error {
	name, visibility, err := playlistForm(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.UpdatePlaylist(r.Context(), id, s.member(r).ID, name, visibility) }); err != nil {
		return err
	}
	s.flash(r, "The playlist was saved.")
	http.Redirect(w, r, "/playlists/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

func (s *Server) deletePlaylist(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.DeletePlaylist(r.Context(), id, s.member(r).ID) }); err != nil {
		return err
	}
	s.flash(r, "The playlist was deleted.")
	http.Redirect(w, r, "/playlists", http.StatusSeeOther)
	return nil
}

// addToPlaylist adds the form's track to the form's playlist of the
// member (the track page's "Add to playlist" menu).
func (s *Server) addToPlaylist(w http.ResponseWriter, r *http.Request) error {
	id := r.PostFormValue("playlist")
	track, err := s.formTrack(r)
	if err != nil {
		return err
	}
	if track == 0 {
		return chorus.Invalid("Please choose a track to add.")
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.AddToPlaylist(r.Context(), id, s.member(r).ID, track) }); err != nil {
		return err
	}
	s.flash(r, "The track was added to the playlist.")
	http.Redirect(w, r, "/tracks/"+strconv.FormatInt(track, 10), http.StatusSeeOther)
	return nil
}

// changePlaylistTrack removes a track from a playlist or moves it
// (action: remove, up, down).
func (s *Server) changePlaylistTrack(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	track, err := strconv.ParseInt(r.PathValue("track"), 10, 64)
	if err != nil {
		return chorus.ErrNotFound
	}
	m := s.member(r)
	err = s.DB.Tx(r.Context(), func(tx *store.Tx) error {
		switch r.PathValue("action") {
		case "remove":
			return tx.RemoveFromPlaylist(r.Context(), id, m.ID, track)
		case "up":
			return tx.MoveInPlaylist(r.Context(), id, m.ID, track, -1)
		case "down":
			return tx.MoveInPlaylist(r.Context(), id, m.ID, track, +1)
		}
		return chorus.ErrNotFound
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/playlists/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

func (s *Server) communitySettings(w http.ResponseWriter, r *http.Request) error {
	c, err := s.DB.CommunityChoices(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "settings_community.html", "Your public page", map[string]any{"Choices": c})
}

func (s *Server) saveCommunitySettings(w http.ResponseWriter, r *http.Request) error {
	inv := &chorus.InvalidError{Message: "Nothing was saved."}
	choice := func(field string) bool {
		switch r.PostFormValue(field) {
		case visibilityPublic:
			return true
		case visibilityPrivate:
			return false
		}
		inv.Add(field, "Please choose public or private.")
		return false
	}
	c := chorus.CommunityChoices{FavouritesPublic: choice("favourites"), FollowsPublic: choice("follows"), ActivityPublic: choice("activity")}
	if len(inv.Fields) > 0 {
		return inv
	}
	if err := s.DB.Tx(r.Context(), func(tx *store.Tx) error { return tx.SaveCommunityChoices(r.Context(), s.member(r).ID, c) }); err != nil {
		return err
	}
	s.flash(r, "Your choices were saved.")
	http.Redirect(w, r, "/settings/community", http.StatusSeeOther)
	return nil
}
