package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/geoip"
	"chorus/internal/store"
)

// period is the span of days a dashboard shows: From and To are UTC days,
// both included.
type period struct {
	Key      string // "7d", "30d", "12m" or "custom"
	From, To time.Time
	// FromText and ToText are what the custom fields show.
	FromText, ToText string
}

// periodChoices are the periods of the picker, in its order.
var periodChoices = []struct{ Key, Label string }{
	{"7d", "Last 7 days"}, {"30d", "Last 30 days"}, {"12m", "Last 12 months"}, {"custom", "Custom dates"},
}

// maxPeriodDays bounds a custom period: longer spans than three years are
// refused rather than read.
const maxPeriodDays = 3 * 366

// parsePeriod reads ?period= (default 30d, or custom when ?from= or ?to=
// is given) and, for "custom", ?from= and ?to= (YYYY-MM-DD, UTC). today is the last day any period may include.
// Problems are field messages of an *chorus.InvalidError.
func parsePeriod(q url.Values, today time.Time) (period, error) {
	today = today.UTC().Truncate(24 * time.Hour)
	p := period{Key: q.Get("period"), To: today, FromText: q.Get("from"), ToText: q.Get("to")}
	if len(p.FromText) > 20 {
		p.FromText = p.FromText[:20]
	}
	if len(p.ToText) > 20 {
		p.ToText = p.ToText[:20]
	}
	if p.Key == "" && (strings.TrimSpace(p.FromText) != "" || strings.TrimSpace(p.ToText) != "") {
		p.Key = "custom" // dates given without choosing "Custom dates" still mean them
	}
	if p.Key == "" {
		p.Key = "30d"
	}
	switch p.Key {
	case "7d", "30d", "12m": // see analytics.DashboardPeriod, which also names the periods precomputed
		p.From, p.To, _ = analytics.DashboardPeriod(p.Key, today)
	case "custom":
		inv := &chorus.InvalidError{}
		from, errFrom := time.Parse(store.DayFormat, strings.TrimSpace(p.FromText))
		to, errTo := time.Parse(store.DayFormat, strings.TrimSpace(p.ToText))
		if errFrom != nil {
			inv.Add("from", "Give the first day as a date, such as 2026-01-31.")
		}
		if errTo != nil {
			inv.Add("to", "Give the last day as a date, such as 2026-03-31.")
		}
		if errFrom == nil && errTo == nil {
			switch {
			case to.Before(from):
				inv.Add("to", "The last day must be on or after the first day.")
			case to.After(today):
				inv.Add("to", "The last day cannot be after today ("+today.Format(store.DayFormat)+").")
			case to.Sub(from) >= maxPeriodDays*24*time.Hour:
				inv.Add("from", "Choose a period of at most three years.")
			}
		}
		if inv.Err() != nil {
			inv.Message = "These dates cannot be shown."
			return p, inv
		}
		p.From, p.To = from, to
	default:
		return period{Key: "30d", From: today.AddDate(0, 0, -29), To: today},
			&chorus.InvalidError{Message: "These dates cannot be shown.", Fields: map[string]string{"period": "Choose one of the periods in the list."}}
	}
	return p, nil
}

// days is how many days p covers.
func (p period) days() int { return int(p.To.Sub(p.From)/(24*time.Hour)) + 1 }

// monthly reports whether p is drawn by month rather than by day.
func (p period) monthly() bool { return p.days() > 62 }

// query returns the URL query that selects p again.
func (p period) query() string {
	v := url.Values{"period": {p.Key}}
	if p.Key == "custom" {
		v.Set("from", p.From.Format(store.DayFormat))
		v.Set("to", p.To.Format(store.DayFormat))
	}
	return v.Encode()
}

// bucket is one day or month of a dashboard series.
type bucket struct {
	Label string
	Row   store.DailyRow
}

// series sums daily rows into the days or months of p, every one present
// (zero when nothing happened), oldest first.
func series(p period, rows []store.DailyRow) []bucket {
	var out []bucket
	index := map[string]int{}
	key := func(day string) string {
		if p.monthly() && len(day) >= 7 {
			return day[:7]
		}
		return day
	}
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		k := key(d.Format(store.DayFormat))
		if _, ok := index[k]; ok {
			continue
		}
		label := d.Format("2 Jan")
		if p.monthly() {
			label = d.Format("Jan 2006")
		}
		index[k] = len(out)
		out = append(out, bucket{Label: label})
	}
	for _, r := range rows {
		if i, ok := index[key(r.Day)]; ok {
			b := &out[i].Row
			b.Views += r.Views
			b.Plays += r.Plays
			b.Listeners += r.Listeners
			b.Downloads += r.Downloads
			b.Favourites += r.Favourites
		}
	}
	return out
}

func playsChart(id, title string, p period, buckets []bucket) chart {
	pts := make([]chartPoint, len(buckets))
	for i, b := range buckets {
		pts[i] = chartPoint{Label: b.Label, Value: b.Row.Plays}
	}
	x := "Day"
	if p.monthly() {
		x = "Month"
	}
	return newChart(id, title, x, "Plays", pts)
}

// namedRow is a dashboard table row: a name and its figures.
type namedRow struct {
	Name string
	Link string
	Row  store.DailyRow
}

// artistStats is what the artist dashboard and its CSV export show.
type artistStats struct {
	Artist                     chorus.Artist
	Period                     period
	Series                     []bucket
	Plays                      chart
	Totals                     store.DailyRow
	Tracks                     []namedRow
	Referrers, Devices, Browse []namedRow
	// Countries is where listeners come from by country; shown only when
	// ShowCountries (see countriesShown).
	Countries     []namedRow
	ShowCountries bool
}

// topLimit is how many rows the dashboards' top lists show.
const topLimit = 10

func (s *Server) artistStats(ctx context.Context, a chorus.Artist, p period) (artistStats, error) {
	st := artistStats{Artist: a, Period: p}
	from, to := p.From.Format(store.DayFormat), p.To.Format(store.DayFormat)
	daily, err := s.DB.Daily(ctx, store.DailyQuery{SubjectKind: analytics.SubjectArtist, SubjectID: a.ID, Dimension: analytics.DimAll, From: from, To: to})
	if err != nil {
		return st, err
	}
	st.Series = series(p, daily)
	for _, b := range st.Series {
		st.Totals.Plays += b.Row.Plays
		st.Totals.Listeners += b.Row.Listeners
		st.Totals.Downloads += b.Row.Downloads
		st.Totals.Favourites += b.Row.Favourites
	}
	st.Plays = playsChart("plays", "Plays of "+a.Name, p, st.Series)
	tracks, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: analytics.SubjectTrack, ArtistID: a.ID, From: from, To: to, Limit: topLimit})
	if err != nil {
		return st, err
	}
	for _, r := range tracks {
		name, link := fmt.Sprintf("Deleted track %d", r.SubjectID), ""
		if t, err := s.DB.Track(ctx, r.SubjectID); err == nil {
			name, link = t.Title, fmt.Sprintf("/studio/tracks/%d", t.ID)
		} else if !errors.Is(err, chorus.ErrNotFound) {
			return st, err
		}
		st.Tracks = append(st.Tracks, namedRow{Name: name, Link: link, Row: r})
	}
	for _, d := range []struct {
		dim  string
		into *[]namedRow
	}{{analytics.DimReferrer, &st.Referrers}, {analytics.DimDevice, &st.Devices}, {analytics.DimBrowser, &st.Browse}, {analytics.DimCountry, &st.Countries}} {
		if *d.into, err = s.breakdown(ctx, analytics.SubjectArtist, a.ID, d.dim, p); err != nil {
			return st, err
		}
	}
	st.ShowCountries = s.countriesShown(st.Countries)
	return st, nil
}

// breakdown is the dimension dim of a subject over p, one row per value
// (already merged into Other below 5 people by the roll-up), most plays
// first.
func (s *Server) breakdown(ctx context.Context, kind string, id int64, dim string, p period) ([]namedRow, error) {
	rows, err := s.DB.DailyTotals(ctx, store.DailyQuery{SubjectKind: kind, SubjectID: id, Dimension: dim,
		From: p.From.Format(store.DayFormat), To: p.To.Format(store.DayFormat)})
	if err != nil {
		return nil, err
	}
	out := make([]namedRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, namedRow{Name: valueName(dim, r.Value), Row: r})
	}
	return out, nil
}

// countriesShown reports whether a dashboard shows the breakdown by
// country: when the site has a GeoIP database, or when the period still
// holds countries from a time it had one. Without either, every country
// is unknown and the table would say nothing.
func (s *Server) countriesShown(rows []namedRow) bool {
	if s.GeoIP != nil {
		return true
	}
	for _, r := range rows {
		if r.Row.Value != "" && r.Row.Value != analytics.Other {
			return true
		}
	}
	return false
}

// valueName is how a breakdown value reads on a dashboard.
func valueName(dim, v string) string {
	switch {
	case v == analytics.Other:
		return "Other (fewer than 5 people each)"
	case v == "" && dim == analytics.DimReferrer:
		return "Direct, or from Chorus itself"
	case v == "":
		return "Unknown"
	case dim == analytics.DimCountry:
		return geoip.CountryName(v)
	}
	return v
}

// studioStats sends a member to the dashboard of their artist, or lists
// their artists when they have several.
func (s *Server) studioStats(w http.ResponseWriter, r *http.Request) error {
	artists, err := s.DB.ArtistsOfMember(r.Context(), s.member(r).ID)
	if err != nil {
		return err
	}
	if len(artists) == 1 {
		target := fmt.Sprintf("/studio/artists/%d/stats", artists[0].ID)
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "studio_stats.html", "Statistics", map[string]any{"Artists": artists, "Choices": periodChoices})
}

// statsArtist returns the artist of the path's {id} when the member owns
// it: ErrNotFound for a malformed id, ErrForbidden for someone else's.
func (s *Server) statsArtist(r *http.Request) (chorus.Artist, error) {
	if _, err := strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil {
		return chorus.Artist{}, chorus.ErrNotFound
	}
	a, err := s.ownedArtist(r, r.PathValue("id"))
	var inv *chorus.InvalidError
	if errors.As(err, &inv) {
		return a, chorus.ErrForbidden // the member has no artist at all
	}
	return a, err
}

// artistStatsPage is an artist's dashboard: plays over time, top tracks,
// where listeners come from, devices and browsers, for a period.
func (s *Server) artistStatsPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.statsArtist(r)
	if err != nil {
		return err
	}
	p, perr := parsePeriod(r.URL.Query(), s.Now())
	data := map[string]any{"Artist": a, "Period": p, "Choices": periodChoices, "Action": fmt.Sprintf("/studio/artists/%d/stats", a.ID), "Errors": map[string]string{}}
	if perr != nil {
		data["Errors"] = perr.(*chorus.InvalidError).Fields
		return s.render(w, r, http.StatusBadRequest, "studio_stats.html", "Statistics of "+a.Name, data)
	}
	st, err := s.artistStats(r.Context(), a, p)
	if err != nil {
		return err
	}
	data["Stats"] = st
	data["CSV"] = fmt.Sprintf("/studio/artists/%d/stats.csv?%s", a.ID, p.query())
	return s.render(w, r, http.StatusOK, "studio_stats.html", "Statistics of "+a.Name, data)
}

// artistStatsCSV is the dashboard's figures as CSV (RFC 4180): one row per
// day or month, track, referrer, device, browser and, when the dashboard
// shows them, country, with the columns section, name, plays, listeners,
// downloads, favourites. A country's name is its English name
// ("France"), as on the dashboard.
func (s *Server) artistStatsCSV(w http.ResponseWriter, r *http.Request) error {
	a, err := s.statsArtist(r)
	if err != nil {
		return err
	}
	p, err := parsePeriod(r.URL.Query(), s.Now())
	if err != nil {
		return s.badRequest(w, r, err.(*chorus.InvalidError).Summary())
	}
	st, err := s.artistStats(r.Context(), a, p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="chorus-stats-%d-%s-%s.csv"`, a.ID, p.From.Format(store.DayFormat), p.To.Format(store.DayFormat)))
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	row := func(section, name string, d store.DailyRow) {
		_ = cw.Write([]string{section, csvSafe(name), strconv.FormatInt(d.Plays, 10), strconv.FormatInt(d.Listeners, 10),
			strconv.FormatInt(d.Downloads, 10), strconv.FormatInt(d.Favourites, 10)})
	}
	_ = cw.Write([]string{"section", "name", "plays", "listeners", "downloads", "favourites"})
	section := "day"
	if p.monthly() {
		section = "month"
	}
	for i, b := range st.Series {
		label := p.From.AddDate(0, 0, i).Format(store.DayFormat)
		if p.monthly() {
			label = time.Date(p.From.Year(), p.From.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		}
		row(section, label, b.Row)
	}
	for _, t := range st.Tracks {
		row("track", t.Name, t.Row)
	}
	for _, x := range st.Referrers {
		row("referrer", x.Name, x.Row)
	}
	for _, x := range st.Devices {
		row("device", x.Name, x.Row)
	}
	for _, x := range st.Browse {
		row("browser", x.Name, x.Row)
	}
	if st.ShowCountries {
		for _, x := range st.Countries {
			row("country", x.Name, x.Row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (OWASP
// "CSV Injection"): a leading =, +, -, @, tab or carriage return gets a
// quote before it.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// adminStatsPage is the site's dashboard: members, uploads, plays,
// storage, growth, top content and, with a GeoIP database, the countries
// of listeners over a period.
func (s *Server) adminStatsPage(w http.ResponseWriter, r *http.Request) error {
	p, perr := parsePeriod(r.URL.Query(), s.Now())
	data := map[string]any{"Period": p, "Choices": periodChoices, "Action": "/admin/stats", "Errors": map[string]string{}}
	if perr != nil {
		data["Errors"] = perr.(*chorus.InvalidError).Fields
		return s.render(w, r, http.StatusBadRequest, "admin_stats.html", "Site statistics", data)
	}
	ctx := r.Context()
	from, to := p.From.Format(store.DayFormat), p.To.Format(store.DayFormat)
	figures, err := s.DB.SiteFigures(ctx, p.From, p.To.Add(24*time.Hour))
	if err != nil {
		return err
	}
	daily, err := s.DB.Daily(ctx, store.DailyQuery{SubjectKind: analytics.SubjectSite, Dimension: analytics.DimAll, From: from, To: to})
	if err != nil {
		return err
	}
	buckets := series(p, daily)
	var totals store.DailyRow
	for _, b := range buckets {
		totals.Plays += b.Row.Plays
		totals.Downloads += b.Row.Downloads
		totals.Views += b.Row.Views
	}
	joined, err := s.DB.MembersJoined(ctx, p.From, p.To.Add(24*time.Hour))
	if err != nil {
		return err
	}
	growth := make([]chartPoint, len(buckets))
	index := map[string]int{}
	for i, b := range buckets {
		growth[i].Label = b.Label
		index[b.Label] = i
	}
	for _, t := range joined {
		label := t.Format("2 Jan")
		if p.monthly() {
			label = t.Format("Jan 2006")
		}
		if i, ok := index[label]; ok {
			growth[i].Value++
		}
	}
	x := "Day"
	if p.monthly() {
		x = "Month"
	}
	var tracks, artists []namedRow
	top, err := s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: analytics.SubjectTrack, From: from, To: to, Limit: topLimit})
	if err != nil {
		return err
	}
	for _, r := range top {
		name, link := fmt.Sprintf("Deleted track %d", r.SubjectID), ""
		if t, err := s.DB.Track(ctx, r.SubjectID); err == nil && t.Public() {
			name, link = t.Title+" by "+t.ArtistName, fmt.Sprintf("/tracks/%d", t.ID)
		} else if err == nil {
			name = t.Title + " by " + t.ArtistName + " (not public)" // its page answers visitors 404
		} else if !errors.Is(err, chorus.ErrNotFound) {
			return err
		}
		tracks = append(tracks, namedRow{Name: name, Link: link, Row: r})
	}
	if top, err = s.DB.SubjectTotals(ctx, store.TotalsQuery{SubjectKind: analytics.SubjectArtist, From: from, To: to, Limit: topLimit}); err != nil {
		return err
	}
	for _, r := range top {
		name, link := fmt.Sprintf("Deleted artist %d", r.SubjectID), ""
		if a, err := s.DB.Artist(ctx, r.SubjectID); err == nil {
			name, link = a.Name, "/artists/"+url.PathEscape(a.Slug)
			if _, public, err := s.DB.Tracks(ctx, store.TrackFilter{ArtistID: a.ID, Limit: 1}); err != nil {
				return err
			} else if public == 0 {
				name, link = a.Name+" (not public)", "" // no public music: not in the public lists
			}
		} else if !errors.Is(err, chorus.ErrNotFound) {
			return err
		}
		artists = append(artists, namedRow{Name: name, Link: link, Row: r})
	}
	data["Figures"] = figures
	data["Totals"] = totals
	data["Plays"] = playsChart("site-plays", "Plays on the site", p, buckets)
	data["Growth"] = newChart("growth", "New members", x, "Members", growth)
	countries, err := s.breakdown(ctx, analytics.SubjectSite, 0, analytics.DimCountry, p)
	if err != nil {
		return err
	}
	data["Tracks"] = tracks
	data["Artists"] = artists
	data["Countries"] = countries
	data["ShowCountries"] = s.countriesShown(countries)
	return s.render(w, r, http.StatusOK, "admin_stats.html", "Site statistics", data)
}
