package dashboard

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/auth"
	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
	"chorus/internal/web"
)

var (
	events  = flag.Int64("dashboard.events", 1_000_000, "synthetic events spread over the year")
	tracks  = flag.Int("dashboard.tracks", 100_000, "tracks the events are spread across")
	members = flag.Int("dashboard.members", 5_000, "members who joined during the year")
)

// The benchmark's people: the admin owns the busiest artist (id 1) and
// an artist with no plays at all (the baseline).
const password = "a benchmark password"

// seed writes the year's aggregates straight into analytics_daily, in the
// shape analytics.Aggregate gives them, one day per transaction: plays
// are spread over the tracks by a Zipf law (a few tracks take most), each
// track of artist (id−1) mod artists + 1. It returns how many rows it
// wrote.
func seed(b *testing.B, db *store.DB, days []time.Time) int {
	ctx := context.Background()
	nTracks, nArtists := *tracks, max(*tracks/10, 2)
	raw := db.SQL()
	exec := func(tx *sql.Tx, q string, args ...any) {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		b.Fatal(err)
	}
	start := days[0]
	exec(tx, `INSERT INTO members (id, email, email_key, username, username_key, password_hash, role, email_verified_at, created_at)
		VALUES (1, 'boss@example.org', 'boss@example.org', 'boss', 'boss', ?, 'admin', ?, ?)`, hash, start, start)
	for i := 2; i <= *members+1; i++ {
		at := start.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(*members+1)))
		exec(tx, `INSERT INTO members (id, email, email_key, username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?, '', ?)`,
			i, fmt.Sprintf("m%d@example.org", i), fmt.Sprintf("m%d@example.org", i), fmt.Sprintf("m%d", i), fmt.Sprintf("m%d", i), at)
	}
	for i := 1; i <= nArtists+1; i++ {
		var owner any
		if i == 1 || i == nArtists+1 {
			owner = 1
		}
		exec(tx, `INSERT INTO artists (id, member_id, name, name_key, slug, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			i, owner, fmt.Sprintf("Artist %d", i), fmt.Sprintf("artist %d", i), fmt.Sprintf("artist-%d", i), start)
	}
	for i := 1; i <= nTracks; i++ {
		exec(tx, `INSERT INTO tracks (id, artist_id, title, status, published, original_key, original_format, original_mime, original_size,
			content_hash, stream_size, licence_id, created_at, updated_at) VALUES (?, ?, ?, 'ready', TRUE, ?, 'ogg', 'audio/ogg', 4000000, ?, 3000000, 'cc-by-4.0', ?, ?)`,
			i, (i-1)%nArtists+1, fmt.Sprintf("Track %d", i), fmt.Sprintf("o/%d", i), fmt.Sprintf("h%d", i), start, start)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.05, 1, uint64(nTracks-1))
	perDay := *events / int64(len(days))
	written := 0
	for _, day := range days {
		plays := map[int64]int64{}
		for range perDay {
			plays[int64(zipf.Uint64())+1]++
		}
		artists := map[int64]int64{}
		var site int64
		var rows []store.DailyRow
		for id, n := range plays {
			rows = appendSubject(rows, analytics.SubjectTrack, id, n)
			artists[int64((int(id)-1)%nArtists+1)] += n
			site += n
		}
		for id, n := range artists {
			rows = appendSubject(rows, analytics.SubjectArtist, id, n)
		}
		rows = appendSubject(rows, analytics.SubjectSite, 0, site)
		if err := db.ReplaceDay(ctx, day, rows); err != nil {
			b.Fatal(err)
		}
		written += len(rows)
	}
	return written
}

// appendSubject adds the rows of a subject played n times in a day: the
// totals, and breakdowns by device, browser and referrer where a value
// seen by fewer than analytics.MinListeners people is merged into Other.
func appendSubject(rows []store.DailyRow, kind string, id, n int64) []store.DailyRow {
	listeners := max(n*8/10, 1)
	r := store.DailyRow{SubjectKind: kind, SubjectID: id, Dimension: analytics.DimAll, Plays: n, Listeners: listeners, Downloads: n / 20, Favourites: n / 50}
	rows = append(rows, r)
	for _, dim := range []struct {
		name   string
		values []string
	}{
		{analytics.DimDevice, []string{"desktop", "phone", "tablet"}},
		{analytics.DimBrowser, []string{"Firefox", "Chrome", "Safari", "Edge"}},
		{analytics.DimReferrer, []string{"", "search.example", "blog.example.net", "social.example"}},
	} {
		var other store.DailyRow
		left := n
		for i, v := range dim.values {
			share := left / 2
			if i == len(dim.values)-1 {
				share = left
			}
			left -= share
			cell := store.DailyRow{SubjectKind: kind, SubjectID: id, Dimension: dim.name, Value: v, Plays: share, Listeners: share * 8 / 10}
			if cell.Listeners < analytics.MinListeners {
				other.Plays += cell.Plays
				other.Listeners += cell.Listeners
				continue
			}
			rows = append(rows, cell)
		}
		if other.Plays > 0 {
			rows = append(rows, store.DailyRow{SubjectKind: kind, SubjectID: id, Dimension: dim.name, Value: analytics.Other, Plays: other.Plays, Listeners: max(other.Listeners, 1)})
		}
	}
	return rows
}

// BenchmarkDashboard renders, over HTTP as the logged-in admin, an empty
// artist dashboard (the baseline), the busiest artist's dashboard for the
// last 12 months and the admin dashboard for the last 12 months, on
// SQLite. It reports ms per page and each page's cost as a multiple of
// the baseline's.
func BenchmarkDashboard(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var days []time.Time
	for d := today.AddDate(-1, 0, 1); !d.After(today); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	began := time.Now()
	rows := seed(b, db, days)
	b.Logf("seeded %d events as %d daily rows (%d tracks, %d members) in %s", *events, rows, *tracks, *members+1, time.Since(began).Round(time.Second))

	// The plan of the heaviest query: every track's totals over the year.
	plan, err := db.SQL().Query(`EXPLAIN QUERY PLAN SELECT subject_id, SUM(views), SUM(plays), SUM(listeners), SUM(downloads), SUM(favourites)
		FROM analytics_daily WHERE subject_kind = 'track' AND dimension = 'all' AND day >= ? AND day <= ? GROUP BY subject_id ORDER BY SUM(plays) DESC LIMIT 10`,
		days[0].Format(store.DayFormat), today.Format(store.DayFormat))
	if err != nil {
		b.Fatal(err)
	}
	for plan.Next() {
		var id, parent, unused int
		var detail string
		if err := plan.Scan(&id, &parent, &unused, &detail); err != nil {
			b.Fatal(err)
		}
		b.Logf("plan: %s", detail)
	}
	plan.Close()

	m, err := mail.New(db, mail.Config{BaseURL: "http://chorus.test", Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if m.Queue, err = jobs.New(db, jobs.Config{}); err != nil {
		b.Fatal(err)
	}
	s, err := web.New(web.Deps{DB: db, BaseURL: "http://chorus.test", Mail: m})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(srv.URL+"/login", url.Values{"login": {"boss"}, "password": {password}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	get := func(b *testing.B, path, want string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			b.Fatalf("%s: %d, want %q in\n%.400s", path, resp.StatusCode, want, body)
		}
	}
	empty := max(*tracks/10, 2) + 1
	var baseline time.Duration
	for _, page := range []struct{ name, path, want string }{
		{"empty-dashboard", fmt.Sprintf("/studio/artists/%d/stats?period=12m", empty), "Nothing yet in this period."},
		{"artist-year", "/studio/artists/1/stats?period=12m", `<svg class="chart"`},
		{"admin-year", "/admin/stats?period=12m", `<svg class="chart"`},
	} {
		b.Run(page.name, func(b *testing.B) {
			start := time.Now()
			for range b.N {
				get(b, page.path, page.want)
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/page")
			if page.name == "empty-dashboard" {
				baseline = per
			} else {
				b.ReportMetric(float64(per)/float64(baseline), "x-empty-dashboard")
			}
		})
	}
}
