package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/store"
)

// chartPeriods are the periods of the charts: the last 7 or 30 finished
// days (UTC), compared for buzz with the 7 or 30 before, and all time.
var chartPeriods = []struct{ Key, Label string }{{"week", "This week"}, {"month", "This month"}, {"all", "All time"}}

// chartEntry is one line of a chart.
type chartEntry struct {
	Rank       int
	Name, Link string
	By         string // the artist, for tracks and albums
	Popularity int64
	Previous   int64 // buzz only: the previous period's popularity
}

// chartSet is the charts of one period, overall or for one tag.
type chartSet struct {
	Period, Tag                         string
	Tracks, Albums, Artists             []chartEntry
	BuzzTracks, BuzzAlbums, BuzzArtists []chartEntry
	HasBuzz                             bool
}

// Empty reports whether no chart has an entry.
func (c chartSet) Empty() bool {
	return len(c.Tracks)+len(c.Albums)+len(c.Artists)+len(c.BuzzTracks)+len(c.BuzzAlbums)+len(c.BuzzArtists) == 0
}

// chartCacheLife is how long computed charts are reused: they change
// once a day, when the day is rolled up, and the all-time chart reads
// every subject's history.
const chartCacheLife = 10 * time.Minute

type chartCache struct {
	mu      sync.Mutex
	entries map[string]cachedCharts
}

type cachedCharts struct {
	set     chartSet
	expires time.Time
}

// chartDays returns the days of the period key and of the period before
// it ("" when there is none), as YYYY-MM-DD, relative to today (UTC); see
// analytics.ChartDays, which also names the periods precomputed.
func chartDays(key string, today time.Time) (from, to, prevFrom, prevTo string) {
	return analytics.ChartDays(key, today)
}

// charts computes (or reuses) the charts of period key, for tag ("" for
// all music), limit entries each.
func (s *Server) charts(ctx context.Context, key, tag string, limit int) (chartSet, error) {
	now := s.Now()
	ck := fmt.Sprintf("%s|%s|%d|%s", key, tag, limit, now.UTC().Format(store.DayFormat))
	s.chartCache.mu.Lock()
	if c, ok := s.chartCache.entries[ck]; ok && now.Before(c.expires) {
		s.chartCache.mu.Unlock()
		return c.set, nil
	}
	s.chartCache.mu.Unlock()

	set := chartSet{Period: key, Tag: tag}
	from, to, prevFrom, prevTo := chartDays(key, now)
	set.HasBuzz = prevFrom != ""
	for _, kind := range []string{analytics.SubjectTrack, analytics.SubjectAlbum, analytics.SubjectArtist} {
		cur, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: kind, From: from, To: to, Tag: tag})
		if err != nil {
			return set, err
		}
		popular, err := s.chartEntries(ctx, kind, analytics.RankPopular(cur, 3*limit), limit)
		if err != nil {
			return set, err
		}
		var buzz []chartEntry
		if set.HasBuzz {
			prev, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: kind, From: prevFrom, To: prevTo, Tag: tag})
			if err != nil {
				return set, err
			}
			if buzz, err = s.chartEntries(ctx, kind, analytics.RankBuzz(cur, prev, 3*limit), limit); err != nil {
				return set, err
			}
		}
		switch kind {
		case analytics.SubjectTrack:
			set.Tracks, set.BuzzTracks = popular, buzz
		case analytics.SubjectAlbum:
			set.Albums, set.BuzzAlbums = popular, buzz
		default:
			set.Artists, set.BuzzArtists = popular, buzz
		}
	}
	s.chartCache.mu.Lock()
	if len(s.chartCache.entries) > 1000 {
		clear(s.chartCache.entries)
	}
	s.chartCache.entries[ck] = cachedCharts{set: set, expires: now.Add(chartCacheLife)}
	s.chartCache.mu.Unlock()
	return set, nil
}

// chartEntries names ranked subjects, skipping what is not public (an
// unpublished or deleted track, an album without public tracks), and
// keeps at most limit.
func (s *Server) chartEntries(ctx context.Context, kind string, ranked []analytics.Ranked, limit int) ([]chartEntry, error) {
	var out []chartEntry
	for _, r := range ranked {
		if len(out) == limit {
			break
		}
		e := chartEntry{Rank: len(out) + 1, Popularity: r.Popularity, Previous: r.Previous}
		var err error
		switch kind {
		case analytics.SubjectTrack:
			var t chorus.Track
			if t, err = s.DB.Track(ctx, r.SubjectID); err == nil && !t.Public() {
				continue
			}
			e.Name, e.By, e.Link = t.Title, t.ArtistName, fmt.Sprintf("/tracks/%d", t.ID)
		case analytics.SubjectAlbum:
			var al chorus.Album
			al, err = s.DB.PublicAlbum(ctx, r.SubjectID)
			e.Name, e.By, e.Link = al.Title, al.ArtistName, fmt.Sprintf("/albums/%d", al.ID)
		default:
			var a chorus.Artist
			a, err = s.DB.Artist(ctx, r.SubjectID)
			e.Name, e.Link = a.Name, "/artists/"+url.PathEscape(a.Slug)
		}
		if errors.Is(err, chorus.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// chartsPage shows the charts of ?period= (week, month, all), overall or
// for ?tag=.
func (s *Server) chartsPage(w http.ResponseWriter, r *http.Request) error {
	key := r.URL.Query().Get("period")
	known := false
	for _, p := range chartPeriods {
		known = known || p.Key == key
	}
	if !known {
		key = "week"
	}
	tag := store.NormaliseTag(r.URL.Query().Get("tag"))
	set, err := s.charts(r.Context(), key, tag, 20)
	if err != nil {
		return err
	}
	title := "Charts"
	if tag != "" {
		title = "Charts: #" + tag
	}
	return s.render(w, r, http.StatusOK, "charts.html", title, map[string]any{"Charts": set, "Periods": chartPeriods})
}
