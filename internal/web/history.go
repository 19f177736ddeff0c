package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
)

// historyPageSize is how many entries the listening history shows a page.
const historyPageSize = 50

// historyEntry is one line of the listening history: the event and what
// it concerns, as Text (plain) or Name linked to Link.
type historyEntry struct {
	store.Event
	Text, Name, Link string
}

// historyPage shows the member their own events (their listening history),
// newest first, with the switch that pauses it. A ?page= past the last
// page is sent to the last page.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) error {
	m := s.member(r)
	p := pageNumber(r)
	events, total, err := s.DB.EventsOfMember(r.Context(), m.ID, historyPageSize, (p-1)*historyPageSize)
	if err != nil {
		return err
	}
	pages := (total + historyPageSize - 1) / historyPageSize
	if p > 1 && p > pages {
		target := "/settings/history"
		if pages > 1 {
			target += "?page=" + strconv.Itoa(pages)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	entries, err := s.historyEntries(r.Context(), events)
	if err != nil {
		return err
	}
	paused, err := s.DB.HistoryPaused(r.Context(), m.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "settings_history.html", "Listening history", map[string]any{
		"Events": entries, "Total": total, "Page": p, "Pages": pages,
		"Paused": paused, "Consented": s.consented(r, consent.Analytics),
		"GPC": consent.SignalOf(r.Header).Refuses(consent.Analytics),
	})
}

// historyEntries names what each event concerns: the track, the search
// and its number of results, the album or the artist, else the page's
// path.
func (s *Server) historyEntries(ctx context.Context, events []store.Event) ([]historyEntry, error) {
	albums, artists := map[int64]chorus.Album{}, map[int64]chorus.Artist{}
	out := make([]historyEntry, 0, len(events))
	for _, e := range events {
		h := historyEntry{Event: e}
		switch {
		case e.TrackID != 0:
			if e.TrackTitle == "" {
				h.Text = "a track no longer here"
			} else {
				h.Name, h.Link = e.TrackTitle, fmt.Sprintf("/tracks/%d", e.TrackID)
			}
		case e.Query != "":
			h.Text = fmt.Sprintf("“%s” (%s)", e.Query, plural(e.Results, "result", "results"))
		case e.AlbumID != 0:
			al, ok := albums[e.AlbumID]
			if !ok {
				var err error
				if al, err = s.DB.PublicAlbum(ctx, e.AlbumID); err != nil && !errors.Is(err, chorus.ErrNotFound) {
					return nil, err
				}
				albums[e.AlbumID] = al
			}
			if al.ID == 0 {
				h.Text = "an album no longer here"
			} else {
				h.Name, h.Link = al.Title, fmt.Sprintf("/albums/%d", al.ID)
			}
		case e.ArtistID != 0:
			a, ok := artists[e.ArtistID]
			if !ok {
				var err error
				if a, err = s.DB.Artist(ctx, e.ArtistID); err != nil && !errors.Is(err, chorus.ErrNotFound) {
					return nil, err
				}
				artists[e.ArtistID] = a
			}
			if a.ID == 0 {
				h.Text = "an artist no longer here"
			} else {
				h.Name, h.Link = a.Name, "/artists/"+url.PathEscape(a.Slug)
			}
		default:
			h.Text = e.Path
		}
		out = append(out, h)
	}
	return out, nil
}

// pauseHistory pauses or resumes the history (form field "paused": "1" or "0").
func (s *Server) pauseHistory(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return chorus.Invalid("The form could not be read. Please try again.")
	}
	var paused bool
	switch r.PostForm.Get("paused") {
	case "1":
		paused = true
	case "0":
	default:
		return chorus.Invalid("Please use the Pause or Resume button on this page.")
	}
	if err := s.DB.PauseHistory(r.Context(), s.member(r).ID, paused); err != nil {
		return err
	}
	if paused {
		s.flash(r, "Your history is paused: nothing you do is linked to you until you resume it.")
	} else {
		s.flash(r, "Your history is on again.")
	}
	http.Redirect(w, r, "/settings/history", http.StatusSeeOther)
	return nil
}

// forgetHistoryEntry takes one entry out of the member's history.
func (s *Server) forgetHistoryEntry(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return chorus.ErrNotFound
	}
	switch err := s.DB.ForgetEvent(r.Context(), s.member(r).ID, id); {
	case errors.Is(err, chorus.ErrNotFound):
		s.flash(r, "That entry was already gone from your history.")
	case err != nil:
		return err
	default:
		s.flash(r, "The entry is deleted from your history.")
	}
	http.Redirect(w, r, "/settings/history", http.StatusSeeOther)
	return nil
}

// clearHistory takes every entry out of the member's history.
func (s *Server) clearHistory(w http.ResponseWriter, r *http.Request) error {
	n, err := s.DB.ForgetHistory(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	s.flash(r, "Your history is cleared ("+strconv.FormatInt(n, 10)+" entries).")
	http.Redirect(w, r, "/settings/history", http.StatusSeeOther)
	return nil
}

// historyKind names an event kind as the history page shows it.
func historyKind(kind string) string {
	switch analytics.Kind(kind) {
	case analytics.PageView:
		return "Viewed"
	case analytics.Play:
		return "Played"
	case analytics.Download:
		return "Downloaded"
	case analytics.Search:
		return "Searched"
	case analytics.Favourite:
		return "Added to favourites"
	case analytics.Follow:
		return "Followed"
	case analytics.Share:
		return "Shared"
	}
	return kind
}
