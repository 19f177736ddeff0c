package dashboard

import (
	"cmp"
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
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/auth"
	"chorus/internal/jobs"
	"chorus/internal/mail"
	"chorus/internal/pro"
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
// shape analytics.Aggregate gives them: each day's plays are spread over
// the tracks by a Zipf law (a few tracks take most), each track of artist
// (id−1) mod artists + 1. It bulk-loads them on one connection: rows in
// primary-key order, many to a statement, a million to a transaction, with
// the secondary indexes dropped during the load and built again after. It
// returns how many rows it wrote.
func seed(b *testing.B, db *store.DB, days []time.Time) int {
	ctx := context.Background()
	nTracks, nArtists := *tracks, max(*tracks/10, 2)
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%.80s: %v", q, err)
		}
	}
	// Bulk-load settings, for this connection only: no waiting for the
	// disk, and a large page cache.
	exec(`PRAGMA synchronous = OFF`)
	exec(`PRAGMA cache_size = -1000000`)
	hash, err := auth.HashPassword(password)
	if err != nil {
		b.Fatal(err)
	}
	start := days[0]
	l := newLoader(b, conn)
	l.add(`INSERT INTO members (id, email, email_key, username, username_key, password_hash, role, email_verified_at, created_at) VALUES `,
		1, "boss@example.org", "boss@example.org", "boss", "boss", hash, "admin", start, start)
	l.flush()
	for i := 2; i <= *members+1; i++ {
		at := start.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(*members+1)))
		l.add(`INSERT INTO members (id, email, email_key, username, username_key, password_hash, created_at) VALUES `,
			i, fmt.Sprintf("m%d@example.org", i), fmt.Sprintf("m%d@example.org", i), fmt.Sprintf("m%d", i), fmt.Sprintf("m%d", i), "", at)
	}
	l.flush()
	for i := 1; i <= nArtists+1; i++ {
		var owner any
		if i == 1 || i == nArtists+1 {
			owner = 1
		}
		l.add(`INSERT INTO artists (id, member_id, name, name_key, slug, created_at) VALUES `,
			i, owner, fmt.Sprintf("Artist %d", i), fmt.Sprintf("artist %d", i), fmt.Sprintf("artist-%d", i), start)
	}
	l.flush()
	for i := 1; i <= nTracks; i++ {
		l.add(`INSERT INTO tracks (id, artist_id, title, status, published, original_key, original_format, original_mime, original_size,
			content_hash, stream_size, licence_id, created_at, updated_at) VALUES `,
			i, (i-1)%nArtists+1, fmt.Sprintf("Track %d", i), "ready", true, fmt.Sprintf("o/%d", i), "ogg", "audio/ogg", 4000000,
			fmt.Sprintf("h%d", i), 3000000, "cc-by-4.0", start, start)
	}
	l.flush()

	// Each subject's plays per day.
	nDays := len(days)
	trackPlays := make([]int32, (nTracks+1)*nDays)
	artistPlays := make([]int32, (nArtists+1)*nDays)
	sitePlays := make([]int64, nDays)
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.05, 1, uint64(nTracks-1))
	perDay := *events / int64(nDays)
	for d := range days {
		for range perDay {
			id := int(zipf.Uint64()) + 1
			trackPlays[id*nDays+d]++
			artistPlays[((id-1)%nArtists+1)*nDays+d]++
			sitePlays[d]++
		}
	}

	// The secondary indexes are built again after the load.
	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'analytics_daily' AND sql IS NOT NULL`)
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			b.Fatal(err)
		}
		names, indexes = append(names, name), append(indexes, sql)
	}
	rows.Close()
	for _, name := range names {
		exec(`DROP INDEX ` + name)
	}

	// Subjects in primary-key order: kind ("artist" < "site" < "track"),
	// id, then dimension, day and value.
	dayText := make([]string, nDays)
	for d, day := range days {
		dayText[d] = day.Format(store.DayFormat)
	}
	const insertDaily = `INSERT INTO analytics_daily (subject_kind, subject_id, dimension, day, value, views, plays, listeners, downloads, favourites) VALUES `
	written := 0
	subject := func(kind string, id int64, plays func(d int) int64) {
		var out []store.DailyRow
		for d := range nDays {
			if n := plays(d); n > 0 {
				first := len(out)
				out = appendSubject(out, kind, id, n)
				for i := first; i < len(out); i++ {
					out[i].Day = dayText[d]
				}
			}
		}
		slices.SortFunc(out, func(a, b store.DailyRow) int {
			return cmp.Or(cmp.Compare(a.Dimension, b.Dimension), cmp.Compare(a.Day, b.Day), cmp.Compare(a.Value, b.Value))
		})
		for _, r := range out {
			l.add(insertDaily, r.SubjectKind, r.SubjectID, r.Dimension, r.Day, r.Value, r.Views, r.Plays, r.Listeners, r.Downloads, r.Favourites)
		}
		written += len(out)
	}
	for id := 1; id <= nArtists; id++ {
		subject(analytics.SubjectArtist, int64(id), func(d int) int64 { return int64(artistPlays[id*nDays+d]) })
	}
	subject(analytics.SubjectSite, 0, func(d int) int64 { return sitePlays[d] })
	for id := 1; id <= nTracks; id++ {
		subject(analytics.SubjectTrack, int64(id), func(d int) int64 { return int64(trackPlays[id*nDays+d]) })
	}
	l.flush()
	for _, sql := range indexes {
		exec(sql)
	}
	for _, day := range dayText {
		exec(`INSERT INTO analytics_rollups (day, rolled_at) VALUES (?, ?)`, day, start)
	}
	return written
}

// loader inserts rows many to a statement (as many as SQLite's limit of
// 32,766 parameters allows) and commits every million rows.
type loader struct {
	b       *testing.B
	conn    *sql.Conn
	inTx    bool
	prefix  string
	args    []any
	width   int
	pending int // rows in the open transaction
	stmts   map[string]*sql.Stmt
}

func newLoader(b *testing.B, conn *sql.Conn) *loader {
	return &loader{b: b, conn: conn, stmts: map[string]*sql.Stmt{}}
}

// add queues one row of the INSERT statement prefix ("INSERT ... VALUES ").
func (l *loader) add(prefix string, values ...any) {
	if prefix != l.prefix {
		l.flush()
		l.prefix, l.width = prefix, len(values)
	}
	l.args = append(l.args, values...)
	if len(l.args)+l.width > 32766 {
		l.write()
	}
}

// write inserts the queued rows.
func (l *loader) write() {
	if len(l.args) == 0 {
		return
	}
	ctx := context.Background()
	if !l.inTx {
		if _, err := l.conn.ExecContext(ctx, `BEGIN`); err != nil {
			l.b.Fatal(err)
		}
		l.inTx = true
	}
	n := len(l.args) / l.width
	key := fmt.Sprintf("%d|%s", n, l.prefix)
	st := l.stmts[key]
	if st == nil {
		row := "(?" + strings.Repeat(", ?", l.width-1) + ")"
		var err error
		if st, err = l.conn.PrepareContext(ctx, l.prefix+row+strings.Repeat(", "+row, n-1)); err != nil {
			l.b.Fatal(err)
		}
		l.stmts[key] = st
	}
	if _, err := st.ExecContext(ctx, l.args...); err != nil {
		l.b.Fatalf("%.60s: %v", l.prefix, err)
	}
	l.args = l.args[:0]
	if l.pending += n; l.pending >= 1_000_000 {
		l.commit()
	}
}

func (l *loader) commit() {
	if l.inTx {
		if _, err := l.conn.ExecContext(context.Background(), `COMMIT`); err != nil {
			l.b.Fatal(err)
		}
		l.inTx, l.pending = false, 0
	}
}

// flush inserts and commits all queued rows.
func (l *loader) flush() {
	l.write()
	l.commit()
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

// BenchmarkDashboard times, on SQLite, the nightly precompute of the
// periods the site shows (analytics.PrecomputePeriods, s/run), then
// renders over HTTP as the logged-in admin an empty artist dashboard (the
// baseline), the busiest artist's dashboard for the last 12 months, the
// admin dashboard for the last 12 months, and that page again with no
// precomputed totals (summing the daily rows, as a custom period does).
// It reports ms per page and each page's cost as a multiple of the
// baseline's.
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

	// The plans of the heaviest query (every track's totals over the
	// year) and of its precomputed form.
	from, to := days[0].Format(store.DayFormat), today.Format(store.DayFormat)
	logPlan(b, db, "live", `SELECT subject_id, SUM(views), SUM(plays), SUM(listeners), SUM(downloads), SUM(favourites)
		FROM analytics_daily WHERE subject_kind = 'track' AND dimension = 'all' AND day >= ? AND day <= ? GROUP BY subject_id ORDER BY SUM(plays) DESC, subject_id LIMIT 10`, from, to)
	logPlan(b, db, "precomputed", `SELECT p.subject_id, p.views, p.plays, p.listeners, p.downloads, p.favourites
		FROM analytics_period_windows w LEFT JOIN analytics_period_totals p ON p.from_day = w.from_day AND p.to_day = w.to_day AND p.subject_kind = 'track'
		WHERE w.from_day = ? AND w.to_day = ? ORDER BY p.plays DESC, p.subject_id LIMIT 10`, from, to)

	m, err := mail.New(db, mail.Config{BaseURL: "http://chorus.test", Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if m.Queue, err = jobs.New(db, jobs.Config{}); err != nil {
		b.Fatal(err)
	}
	vault, _, err := pro.OpenVault(filepath.Join(b.TempDir(), "pro-keyset.json"), true)
	if err != nil {
		b.Fatal(err)
	}
	s, err := web.New(web.Deps{DB: db, BaseURL: "http://chorus.test", Mail: m, Vault: vault})
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
	// The nightly cost: summing the periods the site shows (all time and
	// the last 12 months are the large ones) once the day is rolled up.
	b.Run("precompute", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			if err := db.KeepPeriodTotals(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			n, err := analytics.PrecomputePeriods(context.Background(), db, today)
			if err != nil || n != len(analytics.SitePeriods(today)) {
				b.Fatalf("precomputed %d periods: %v", n, err)
			}
			total += time.Since(start)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/run")
	})

	empty := max(*tracks/10, 2) + 1
	var baseline time.Duration
	for _, page := range []struct{ name, path, want string }{
		{"empty-dashboard", fmt.Sprintf("/studio/artists/%d/stats?period=12m", empty), "Nothing yet in this period."},
		{"artist-year", "/studio/artists/1/stats?period=12m", `<svg class="chart"`},
		{"admin-year", "/admin/stats?period=12m", `<svg class="chart"`},
		// The same page summing the daily rows, as for a custom period.
		{"admin-year-live", "/admin/stats?period=12m", `<svg class="chart"`},
	} {
		if page.name == "admin-year-live" {
			if err := db.KeepPeriodTotals(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
		}
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

// logPlan logs SQLite's plan of query q.
func logPlan(b *testing.B, db *store.DB, name, q string, args ...any) {
	plan, err := db.SQL().Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer plan.Close()
	for plan.Next() {
		var id, parent, unused int
		var detail string
		if err := plan.Scan(&id, &parent, &unused, &detail); err != nil {
			b.Fatal(err)
		}
		b.Logf("plan (%s): %s", name, detail)
	}
}
