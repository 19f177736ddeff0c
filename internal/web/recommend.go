package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
)

// recommendation is a track suggested to a listener, with the reason
// shown beside it.
type recommendation struct {
	Track chorus.Track
	Why   string
}

// similarLimit is how many similar tracks a track page shows.
const similarLimit = 6

// similarTracks returns public tracks near t, for everyone: first those
// played by at least analytics.MinListeners of the same people (counted
// from plays identified only with analytics consent; who they are is
// never read out), then those sharing the most tags. Nothing about the
// visitor is used.
func (s *Server) similarTracks(ctx context.Context, t chorus.Track, limit int) ([]recommendation, error) {
	var out []recommendation
	seen := map[int64]bool{t.ID: true}
	add := func(id int64, why func(chorus.Track) string) error {
		if seen[id] || len(out) >= limit {
			return nil
		}
		seen[id] = true
		o, err := s.DB.Track(ctx, id)
		if errors.Is(err, chorus.ErrNotFound) || (err == nil && !o.Public()) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, recommendation{Track: o, Why: why(o)})
		return nil
	}
	co, err := s.DB.CoListened(ctx, t.ID, analytics.MinListeners, limit)
	if err != nil {
		return nil, err
	}
	for _, c := range co {
		if err := add(c.TrackID, func(chorus.Track) string {
			return fmt.Sprintf("Often played by the same listeners (%d people played both)", c.Listeners)
		}); err != nil {
			return nil, err
		}
	}
	tagged, err := s.DB.TracksSharingTags(ctx, t.ID, limit)
	if err != nil {
		return nil, err
	}
	for _, c := range tagged {
		if err := add(c.TrackID, func(o chorus.Track) string { return sharedTagsReason(t.Tags, o.Tags) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sharedTagsReason says which tags two tracks share: "Shares the tags a, b".
func sharedTagsReason(a, b []string) string {
	var shared []string
	for _, t := range a {
		if slices.Contains(b, t) {
			shared = append(shared, t)
		}
	}
	if len(shared) == 1 {
		return "Shares the tag " + shared[0]
	}
	return "Shares the tags " + strings.Join(shared, ", ")
}

// forYouLimit is how many tracks "for you" suggests.
const forYouLimit = 8

// forYou returns the "for you" suggestions of the member viewing r: none,
// without reading anything about them, unless they are logged in and
// consented to personalisation (s.consented, which a Global Privacy
// Control signal refuses). The suggestions come from their own recent
// plays, each saying which play it follows from.
func (s *Server) forYou(r *http.Request) ([]recommendation, error) {
	m := s.member(r)
	if m == nil || !s.consented(r, consent.Personalisation) {
		return nil, nil
	}
	ctx := r.Context()
	recent, err := s.recentPlays(ctx, m.ID, 5)
	if err != nil {
		return nil, err
	}
	played := map[int64]bool{}
	for _, id := range recent {
		played[id] = true
	}
	var out []recommendation
	for _, id := range recent {
		t, err := s.DB.Track(ctx, id)
		if errors.Is(err, chorus.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		similar, err := s.similarTracks(ctx, t, 4)
		if err != nil {
			return nil, err
		}
		for _, o := range similar {
			if played[o.Track.ID] || len(out) >= forYouLimit {
				continue
			}
			played[o.Track.ID] = true
			o.Why = fmt.Sprintf("Because you played %s: %s", t.Title, strings.ToLower(o.Why[:1])+o.Why[1:])
			out = append(out, o)
		}
	}
	return out, nil
}
