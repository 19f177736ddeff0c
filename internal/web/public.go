package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
)

const pageSize = 24

// page returns the 1-based page number from ?page=, at least 1.
func pageNumber(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 10000 {
		return 1
	}
	return n
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	latest, _, err := s.DB.Tracks(r.Context(), store.TrackFilter{Order: store.NewestFirst, Limit: 12})
	if err != nil {
		return err
	}
	popular, _, err := s.DB.Tracks(r.Context(), store.TrackFilter{Order: store.MostPlayed, Limit: 12})
	if err != nil {
		return err
	}
	albums, err := s.DB.PublicAlbums(r.Context(), store.AlbumFilter{Limit: 8})
	if err != nil {
		return err
	}
	tags, err := s.DB.PopularTags(r.Context(), 20)
	if err != nil {
		return err
	}
	covers, err := s.albumCovers(r.Context(), albums)
	if err != nil {
		return err
	}
	charts, err := s.charts(r.Context(), "week", "", 10)
	if err != nil {
		return err
	}
	forYou, err := s.forYou(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "home.html", "", map[string]any{"Latest": latest, "Popular": popular, "Albums": albums, "Tags": tags, "Covers": covers,
		"Charts": charts, "ForYou": forYou})
}

// albumCovers maps each album's ID to the ID of one of its public tracks
// that has artwork, so that pages can show /tracks/{id}/cover/{size}.
// Albums without artwork are absent (pages draw a placeholder).
func (s *Server) albumCovers(_ context.Context, albums []chorus.Album) (map[int64]int64, error) {
	covers := make(map[int64]int64, len(albums))
	for _, al := range albums {
		if al.CoverTrackID != 0 {
			covers[al.ID] = al.CoverTrackID
		}
	}
	return covers, nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if len(q) > 200 {
		q = q[:200]
	}
	p := pageNumber(r)
	res, err := s.DB.Search(r.Context(), q, pageSize, (p-1)*pageSize)
	if err != nil {
		return err
	}
	if strings.TrimSpace(q) != "" && p == 1 {
		ev := s.newEvent(w, r, analytics.Search)
		ev.Results = res.TotalTracks
		// Free text can identify a person: without analytics consent a
		// search is only counted, with its number of results.
		if s.consented(r, consent.Analytics) {
			ev.Query = chorus.CleanText(q, 200, false)
		}
		s.noteEvent(r, ev)
	}
	if wantsJSON(r) {
		type hit struct {
			ID     int64  `json:"id"`
			Title  string `json:"title"`
			Artist string `json:"artist"`
			Album  string `json:"album,omitempty"`
		}
		hits := []hit{}
		for _, t := range res.Tracks {
			hits = append(hits, hit{t.ID, t.Title, t.ArtistName, t.AlbumTitle})
		}
		return writeJSON(w, http.StatusOK, map[string]any{"query": q, "total": res.TotalTracks, "page": p, "tracks": hits})
	}
	covers, err := s.albumCovers(r.Context(), res.Albums)
	if err != nil {
		return err
	}
	title := "Search"
	if q != "" {
		title = "Search: " + q
	}
	return s.render(w, r, http.StatusOK, "search.html", title, map[string]any{"Q": q, "Result": res, "Page": p, "Pages": (res.TotalTracks + pageSize - 1) / pageSize, "Covers": covers})
}

func (s *Server) trackPage(w http.ResponseWriter, r *http.Request) error {
	t, err := s.publicTrack(r)
	if err != nil {
		return err
	}
	l, credit := s.attribution(t)
	var album []chorus.Track
	if t.AlbumID != 0 {
		album, _, err = s.DB.Tracks(r.Context(), store.TrackFilter{AlbumID: t.AlbumID, Order: store.AlbumOrder, Limit: 500})
		if err != nil {
			return err
		}
	}
	cv, err := s.community(r, chorus.Target{Kind: chorus.OnTrack, ID: t.ID})
	if err != nil {
		return err
	}
	similar, err := s.similarTracks(r.Context(), t, similarLimit)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "track.html", t.Title+" by "+t.ArtistName, map[string]any{"Track": t, "Licence": l, "Attribution": credit, "Album": album, "Community": cv, "Similar": similar})
}

func (s *Server) albumPage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return chorus.ErrNotFound
	}
	al, err := s.DB.PublicAlbum(r.Context(), id)
	if err != nil {
		return err
	}
	tracks, _, err := s.DB.Tracks(r.Context(), store.TrackFilter{AlbumID: id, Order: store.AlbumOrder, Limit: 500})
	if err != nil {
		return err
	}
	// Cover is a track whose artwork stands for the album (zero if none).
	var cover chorus.Track
	for _, t := range tracks {
		if t.CoverKey != "" {
			cover = t
			break
		}
	}
	var first chorus.Track
	if len(tracks) > 0 {
		first = tracks[0]
	}
	cv, err := s.community(r, chorus.Target{Kind: chorus.OnAlbum, ID: al.ID})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "album.html", al.Title+" by "+al.ArtistName, map[string]any{"Album": al, "Tracks": tracks, "Cover": cover, "First": first, "Community": cv})
}

func (s *Server) artistsPage(w http.ResponseWriter, r *http.Request) error {
	p := pageNumber(r)
	artists, err := s.DB.PublicArtists(r.Context(), pageSize+1, (p-1)*pageSize)
	if err != nil {
		return err
	}
	more := len(artists) > pageSize
	if more {
		artists = artists[:pageSize]
	}
	return s.render(w, r, http.StatusOK, "artists.html", "Artists", map[string]any{"Artists": artists, "Page": p, "More": more})
}

func (s *Server) artistPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.DB.ArtistBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	p := pageNumber(r)
	tracks, total, err := s.DB.Tracks(r.Context(), store.TrackFilter{ArtistID: a.ID, Order: store.NewestFirst, Limit: pageSize, Offset: (p - 1) * pageSize})
	if err != nil {
		return err
	}
	albums, err := s.DB.PublicAlbums(r.Context(), store.AlbumFilter{ArtistID: a.ID, Limit: 100})
	if err != nil {
		return err
	}
	covers, err := s.albumCovers(r.Context(), albums)
	if err != nil {
		return err
	}
	cv, err := s.community(r, chorus.Target{Kind: chorus.OnArtist, ID: a.ID})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "artist.html", a.Name, map[string]any{"Artist": a, "Tracks": tracks, "Total": total, "Albums": albums, "Page": p, "Pages": (total + pageSize - 1) / pageSize, "Covers": covers, "Community": cv})
}

func (s *Server) tagPage(w http.ResponseWriter, r *http.Request) error {
	tag := store.NormaliseTag(r.PathValue("tag"))
	p := pageNumber(r)
	tracks, total, err := s.DB.Tracks(r.Context(), store.TrackFilter{Tag: tag, Order: store.MostPlayed, Limit: pageSize, Offset: (p - 1) * pageSize})
	if err != nil {
		return err
	}
	var charts chartSet
	if tag != "" {
		if charts, err = s.charts(r.Context(), "week", tag, 10); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "tag.html", "#"+tag, map[string]any{"Tag": tag, "Tracks": tracks, "Total": total, "Page": p, "Pages": (total + pageSize - 1) / pageSize, "Charts": charts})
}

func (s *Server) licencesPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "licences.html", "Licences", map[string]any{"Licences": chorus.Licences()})
}
