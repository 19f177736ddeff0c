package web

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"

	"chorus/internal/pro"
	"chorus/internal/store"
)

// In-store radio: venue subscribers play continuous channels of PRO
// tracks, one per tag (genre or mood) with enough tracks, plus one of all.

// radioMinTracks is how many sellable tracks a tag needs to be a channel.
const radioMinTracks = 3

// radioAll is the channel of every sellable track.
const radioAll = "all"

// radioMaxTracks bounds the tracks a channel draws from.
const radioMaxTracks = 1000

// radioNext is the JSON answer of a channel's next track.
type radioNext struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Artist string `json:"artist"`
	Stream string `json:"stream"`
}

// radioSubscriber reports whether the request comes from a member with a
// valid venue subscription; when not, it writes the refusal (403: a page,
// or JSON for asJSON or when asked) and the caller stops.
func (s *Server) radioSubscriber(w http.ResponseWriter, r *http.Request, asJSON bool) (bool, error) {
	if m := s.member(r); m != nil {
		ok, err := s.DB.VenueSubscribed(r.Context(), m.ID, s.Now())
		if err != nil || ok {
			return ok, err
		}
	}
	const msg = "In-store radio is for venue subscribers: a venue subscription is needed."
	if asJSON || wantsJSON(r) {
		return false, writeJSON(w, http.StatusForbidden, map[string]string{"error": msg})
	}
	return false, s.render(w, r, http.StatusForbidden, "pro_radio.html", "In-store radio", map[string]any{"Refused": msg})
}

// radioChannels lists the channels a venue subscriber may play.
func (s *Server) radioChannels(w http.ResponseWriter, r *http.Request) error {
	if ok, err := s.radioSubscriber(w, r, false); !ok {
		return err
	}
	chs, err := s.DB.RadioChannels(r.Context(), pro.AgreementVersion, radioMinTracks)
	if err != nil {
		return err
	}
	var tags []store.RadioChannel
	for _, c := range chs {
		if c.Tag != radioAll {
			tags = append(tags, c)
		}
	}
	return s.render(w, r, http.StatusOK, "pro_radio.html", "In-store radio", map[string]any{"Channels": tags})
}

// radioPick draws a channel's next track at random among its sellable
// public tracks, never the one just played (after) unless it is the only
// one. ok is false when the channel has no track.
func (s *Server) radioPick(r *http.Request, channel string, after int64) (radioNext, bool, error) {
	f := store.CatalogueFilter{Limit: radioMaxTracks}
	if channel != radioAll {
		f.Tag = channel
	}
	ts, _, err := s.DB.ProCatalogue(r.Context(), pro.AgreementVersion, f)
	if err != nil || len(ts) == 0 {
		return radioNext{}, false, err
	}
	if len(ts) > 1 {
		for i, t := range ts {
			if t.ID == after {
				ts = append(ts[:i], ts[i+1:]...)
				break
			}
		}
	}
	t := ts[rand.IntN(len(ts))]
	return radioNext{ID: t.ID, Title: t.Title, Artist: t.ArtistName, Stream: "/tracks/" + strconv.FormatInt(t.ID, 10) + "/stream"}, true, nil
}

// radioChannel is a channel's player page, starting on a track drawn by
// the server; site.js asks for the next one when a track ends.
func (s *Server) radioChannel(w http.ResponseWriter, r *http.Request) error {
	if ok, err := s.radioSubscriber(w, r, false); !ok {
		return err
	}
	channel := r.PathValue("channel")
	first, ok, err := s.radioPick(r, channel, 0)
	if err != nil {
		return err
	}
	if !ok {
		return s.render(w, r, http.StatusNotFound, "pro_radio_channel.html", "In-store radio", map[string]any{"Channel": channel})
	}
	return s.render(w, r, http.StatusOK, "pro_radio_channel.html", "In-store radio: "+channel, map[string]any{
		"Channel": channel, "First": first, "NextURL": "/pro/radio/" + url.PathEscape(channel) + "/next"})
}

// radioNextTrack answers a channel's next track as JSON {id, title,
// artist, stream}; ?after=ID is the track just played, not repeated.
// 404 when the channel has no track (any more).
func (s *Server) radioNextTrack(w http.ResponseWriter, r *http.Request) error {
	if ok, err := s.radioSubscriber(w, r, true); !ok {
		return err
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	next, ok, err := s.radioPick(r, r.PathValue("channel"), after)
	if err != nil {
		return err
	}
	if !ok {
		return writeJSON(w, http.StatusNotFound, map[string]string{"error": "This channel has no track to play."})
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, next)
}
