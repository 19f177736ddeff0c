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
	// From and To are the first and last days the chart counts (UTC).
	From, To time.Time
	// Days is how many days it counts; 0 for all time.
	Days int
}

// Empty reports whether no chart has an entry.
func (c chartSet) Empty() bool {
	return len(c.Tracks)+len(c.Albums)+len(c.Artists)+len(c.BuzzTracks)+len(c.BuzzAlbums)+len(c.BuzzArtists) == 0
}

// chartCacheLife is how long computed rankings are reused: they change
// once a day, when the day is rolled up, and the all-time chart reads
// every subject's history. Only the rankings are kept: what they name is
// looked up again on every page, so that a track unpublished or deleted
// since leaves the charts at once.
const chartCacheLife = 10 * time.Minute

type chartCache struct {
	mu      sync.Mutex
	entries map[string]cachedCharts
}

// cachedCharts is the rankings of one period and tag: popular and buzz,
// by subject kind, with more candidates than shown so that subjects no
// longer public can be skipped.
type cachedCharts struct {
	popular, buzz map[string][]analytics.Ranked
	expires       time.Time
}

// chartDays returns the days of the period key and of the period before
// it ("" when there is none), as YYYY-MM-DD, relative to today (UTC); see
// analytics.ChartDays, which also names the periods precomputed.
func chartDays(key string, today time.Time) (from, to, prevFrom, prevTo string) {
	return analytics.ChartDays(key, today)
}

// chartKinds are the subject kinds charted, in the order of the page.
var chartKinds = []string{analytics.SubjectTrack, analytics.SubjectAlbum, analytics.SubjectArtist}

// charts computes (or reuses the rankings of) the charts of period key,
// for tag ("" for all music), limit entries each, naming only music
// visitors may see now.
func (s *Server) charts(ctx context.Context, key, tag string, limit int) (chartSet, error) {
	now := s.Now()
	set := chartSet{Period: key, Tag: tag}
	from, to, prevFrom, prevTo := chartDays(key, now)
	set.HasBuzz = prevFrom != ""
	set.To, _ = time.Parse(store.DayFormat, to)
	if key != "all" {
		set.From, _ = time.Parse(store.DayFormat, from)
		set.Days = int(set.To.Sub(set.From)/(24*time.Hour)) + 1
	}
	ck := fmt.Sprintf("%s|%s|%d|%s", key, tag, limit, now.UTC().Format(store.DayFormat))
	s.chartCache.mu.Lock()
	c, ok := s.chartCache.entries[ck]
	s.chartCache.mu.Unlock()
	if !ok || !now.Before(c.expires) {
		c = cachedCharts{popular: map[string][]analytics.Ranked{}, buzz: map[string][]analytics.Ranked{}, expires: now.Add(chartCacheLife)}
		for _, kind := range chartKinds {
			cur, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: kind, From: from, To: to, Tag: tag})
			if err != nil {
				return set, err
			}
			c.popular[kind] = analytics.RankPopular(cur, 3*limit)
			if set.HasBuzz {
				prev, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: kind, From: prevFrom, To: prevTo, Tag: tag})
				if err != nil {
					return set, err
				}
				c.buzz[kind] = analytics.RankBuzz(cur, prev, 3*limit)
			}
		}
		s.chartCache.mu.Lock()
		if len(s.chartCache.entries) > 1000 {
			clear(s.chartCache.entries)
		}
		s.chartCache.entries[ck] = c
		s.chartCache.mu.Unlock()
	}
	for _, kind := range chartKinds {
		popular, err := s.chartEntries(ctx, kind, c.popular[kind], limit)
		if err != nil {
			return set, err
		}
		buzz, err := s.chartEntries(ctx, kind, c.buzz[kind], limit)
		if err != nil {
			return set, err
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
	return set, nil
}

// chartEntries names ranked subjects, skipping what is not public (an
// unpublished or deleted track, an album or artist without public
// tracks), and keeps at most limit.
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
			if a, err = s.DB.Artist(ctx, r.SubjectID); err == nil {
				var public int
				if _, public, err = s.DB.Tracks(ctx, store.TrackFilter{ArtistID: a.ID, Limit: 1}); err == nil && public == 0 {
					continue
				}
			}
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

// chartsPage shows the charts of ?period= (week, month, all; week when
// absent), overall or for ?tag=. An unknown period is refused with 400; a
// tag no public track has is not found (404).
func (s *Server) chartsPage(w http.ResponseWriter, r *http.Request) error {
	key := r.URL.Query().Get("period")
	known := key == ""
	for _, p := range chartPeriods {
		known = known || p.Key == key
	}
	if !known {
		return s.badRequest(w, r, "These charts cannot be shown: choose the period this week, this month or all time.")
	}
	if key == "" {
		key = "week"
	}
	tag := store.NormaliseTag(r.URL.Query().Get("tag"))
	if tag == "" && r.URL.Query().Get("tag") != "" {
		return chorus.ErrNotFound
	}
	if tag != "" {
		_, n, err := s.DB.Tracks(r.Context(), store.TrackFilter{Tag: tag, Limit: 1})
		if err != nil {
			return err
		}
		if n == 0 {
			return chorus.ErrNotFound
		}
	}
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

// badRequest answers 400 with msg, for a query parameter that cannot be
// read.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, msg string) error {
	return s.render(w, r, http.StatusBadRequest, "error.html", http.StatusText(http.StatusBadRequest), map[string]any{"Status": http.StatusBadRequest, "Message": msg})
}
