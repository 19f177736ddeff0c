package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// statsNow is the clock of the statistics tests: the rolled-up day is
// the day before.
var statsNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// statsFixture is a site with members, artists, tracks and a day of
// events rolled up into the daily statistics.
type statsFixture struct {
	t      *testing.T
	db     *store.DB
	s      *Server
	in     *analytics.Ingester
	seq    int
	tracks map[string]int64
}

func newStatsFixture(t *testing.T, db *store.DB) *statsFixture {
	t.Helper()
	db.SetClock(func() time.Time { return statsNow })
	s, err := New(Deps{DB: db, BaseURL: "http://chorus.test", Mail: testMail(t, db, "http://chorus.test"), Vault: testVault(t), Now: func() time.Time { return statsNow }})
	if err != nil {
		t.Fatal(err)
	}
	in := analytics.New(db, analytics.Options{})
	t.Cleanup(in.Close)
	return &statsFixture{t: t, db: db, s: s, in: in, tracks: map[string]int64{}}
}

func (f *statsFixture) member(username string, role chorus.Role) *chorus.Member {
	f.t.Helper()
	var m chorus.Member
	err := f.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		m, err = tx.CreateMember(context.Background(), store.NewMember{Email: username + "@example.org", Username: username, PasswordHash: "x", Role: role, EmailVerified: true})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return &m
}

func (f *statsFixture) artist(owner *chorus.Member, name string) chorus.Artist {
	f.t.Helper()
	var a chorus.Artist
	err := f.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		a, err = tx.CreateArtist(context.Background(), chorus.Artist{MemberID: owner.ID, Name: name})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// track adds a public track of the artist with tags.
func (f *statsFixture) track(a chorus.Artist, title string, tags ...string) int64 {
	f.t.Helper()
	ctx := context.Background()
	f.seq++
	var id int64
	err := f.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.InsertTrack(ctx, store.NewTrack{ArtistID: a.ID, Title: title, Tags: tags, LicenceID: "cc-by-4.0",
			OriginalKey: fmt.Sprintf("o/%d", f.seq), OriginalFormat: "ogg", OriginalMIME: "audio/ogg", OriginalSize: 1000,
			ContentHash: fmt.Sprintf("h%d", f.seq)})
		if err != nil {
			return err
		}
		if err := tx.MarkProcessed(ctx, id, store.ProcessedTrack{StreamKey: fmt.Sprintf("s/%d", f.seq), StreamSize: 500}); err != nil {
			return err
		}
		return tx.SetPublished(ctx, id, true)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.tracks[title] = id
	return id
}

// play records plays of the track on day by listeners; each listener is
// a visitor id, or a member when it is "m<ID>".
func (f *statsFixture) events(day time.Time, kind analytics.Kind, trackID int64, a chorus.Artist, ev store.Event, listeners ...string) {
	f.t.Helper()
	for i, who := range listeners {
		e := ev
		e.Time, e.Kind, e.TrackID, e.ArtistID = day.Add(time.Duration(i)*time.Minute), string(kind), trackID, a.ID
		if _, err := fmt.Sscanf(who, "m%d", &e.MemberID); err != nil {
			e.MemberID, e.VisitorID = 0, fmt.Sprintf("%032x", who)
		}
		if err := f.in.Record(context.Background(), e); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *statsFixture) rollUp(days ...time.Time) {
	f.t.Helper()
	for _, d := range days {
		if err := analytics.RollUpDay(context.Background(), f.db, d); err != nil {
			f.t.Fatal(err)
		}
	}
}

// get serves a GET of path through the whole web surface as m (nil: a
// visitor) and returns the status and body.
func (f *statsFixture) get(m *chorus.Member, path string) (int, string, http.Header) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if m != nil {
		r = r.WithContext(context.WithValue(r.Context(), memberKey, m))
	}
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	return w.Code, w.Body.String(), w.Header()
}

func people(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

// TestArtistDashboard seeds a day of events through the ingester, rolls
// it up, and reads the artist's dashboard and CSV export: plays over
// time as an SVG chart with title, desc and a data table, top tracks,
// referrers (small ones merged into Other), devices; another member is
// refused; a bad period gets a clear message and 400.
func TestArtistDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner, other := f.member("owner", chorus.RoleArtist), f.member("stranger", chorus.RoleArtist)
		band := f.artist(owner, "The Counted")
		f.artist(other, "Someone Else")
		hit, quiet := f.track(band, "=Big Hit"), f.track(band, "Quiet One")
		day := statsNow.AddDate(0, 0, -1).Truncate(24 * time.Hour)
		desktop := store.Event{Device: "desktop", Browser: "Firefox", Referrer: "blog.example.net"}
		f.events(day, analytics.Play, hit, band, desktop, people("a", 6)...)
		f.events(day, analytics.Play, quiet, band, store.Event{Device: "phone", Browser: "Chrome", Referrer: "tiny.example"}, people("b", 2)...)
		f.events(day, analytics.Download, hit, band, desktop, "a0")
		f.rollUp(day)

		status, _, h := f.get(owner, "/studio/stats?period=7d")
		if want := fmt.Sprintf("/studio/artists/%d/stats?period=7d", band.ID); status != http.StatusSeeOther || h.Get("Location") != want {
			t.Fatalf("/studio/stats for a member with one artist: %d to %q, want a redirect to %s", status, h.Get("Location"), want)
		}
		status, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats?period=7d", band.ID))
		if status != http.StatusOK {
			t.Fatalf("dashboard: %d\n%.500s", status, body)
		}
		for _, want := range []string{
			`<svg class="chart"`, `role="img"`, `<title id="plays-title">Plays of The Counted</title>`, `<desc id="plays-desc">`,
			"8 in all over 7 day",                   // the description summarises the chart
			`<th scope="row">14 Jun</th><td>8</td>`, // the data table beside it
			"Day", "Plays",
			"=Big Hit", "Quiet One", "blog.example.net", "Other (fewer than 5 people each)", "desktop", "Firefox",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the dashboard lacks %q", want)
			}
		}
		if strings.Contains(body, "tiny.example") {
			t.Error("a referrer of two listeners is named; it should be merged into Other")
		}
		if strings.Contains(body, ` style="`) {
			t.Error("the dashboard uses inline style attributes, which the CSP forbids")
		}
		// Top tracks: the most played first.
		if strings.Index(body, "=Big Hit") > strings.Index(body, "Quiet One") {
			t.Error("top tracks are not ordered by plays")
		}

		// The CSV has the same figures.
		status, csvBody, h := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats.csv?period=7d", band.ID))
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", status, h.Get("Content-Type"))
		}
		records, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range records {
			got[r[0]+"|"+r[1]] = strings.Join(r[2:], ",")
		}
		for k, v := range map[string]string{
			"section|name":                              "plays,listeners,downloads,favourites",
			"day|2026-06-14":                            "8,8,1,0",
			"day|2026-06-13":                            "0,0,0,0",
			"track|'=Big Hit":                           "6,6,1,0", // a formula-looking title is quoted
			"track|Quiet One":                           "2,2,0,0",
			"referrer|blog.example.net":                 "6,6,1,0",
			"referrer|Other (fewer than 5 people each)": "2,2,0,0",
			"device|desktop":                            "6,6,1,0",
		} {
			if got[k] != v {
				t.Errorf("csv %s = %q, want %q", k, got[k], v)
			}
		}
		if len(records) != 1+7+2+2+2+2 {
			t.Errorf("csv has %d rows:\n%s", len(records), csvBody)
		}

		// Another artist's member is refused, on the page and the CSV.
		for _, p := range []string{"/studio/artists/%d/stats", "/studio/artists/%d/stats.csv"} {
			if status, _, _ := f.get(other, fmt.Sprintf(p, band.ID)); status != http.StatusForbidden {
				t.Errorf("another member on %s: %d, want 403", p, status)
			}
		}
		if status, _, _ := f.get(nil, fmt.Sprintf("/studio/artists/%d/stats", band.ID)); status == http.StatusOK {
			t.Error("a visitor saw an artist's statistics")
		}

		// Bad periods: 400 with a message next to the field.
		for q, msg := range map[string]string{
			"period=custom&from=2026-05-01&to=2026-04-01": "The last day must be on or after the first day.",
			"period=custom&from=yesterday&to=2026-06-01":  "Give the first day as a date",
			"period=custom&from=2026-06-01&to=2027-01-01": "cannot be after today",
			"period=custom&from=2016-06-01&to=2026-06-01": "at most three years",
			"period=forever": "Choose one of the periods in the list.",
			"period=custom&from=%3Cscript%3Ealert(1)%3C/script%3E&to=" + strings.Repeat("9", 5000): "Give the last day as a date",
		} {
			status, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats?%s", band.ID, q))
			if status != http.StatusBadRequest || !strings.Contains(body, msg) || strings.Contains(body, "<script>alert") {
				t.Errorf("?%.80s: %d, want 400 with %q", q, status, msg)
			}
		}
		// A valid custom period and the twelve months, drawn by month.
		if status, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats?period=custom&from=2026-06-10&to=2026-06-14", band.ID)); status != http.StatusOK || !strings.Contains(body, "8 in all over 5 day") {
			t.Errorf("custom period: %d", status)
		}
		if status, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats?period=12m", band.ID)); status != http.StatusOK || !strings.Contains(body, "<th scope=\"row\">Jun 2026</th><td>8</td>") {
			t.Errorf("twelve months: %d", status)
		}
	})
}

// TestArtistDashboardEmpty shows an empty state, not an empty chart.
func TestArtistDashboardEmpty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner := f.member("newcomer", chorus.RoleArtist)
		a := f.artist(owner, "Brand New")
		status, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d/stats", a.ID))
		if status != http.StatusOK || strings.Contains(body, "<svg class=\"chart\"") || !strings.Contains(body, "Nothing yet in this period.") {
			t.Errorf("empty dashboard: %d\n%.300s", status, body)
		}
		loner := f.member("loner", chorus.RoleMember)
		if status, body, _ := f.get(loner, "/studio/stats"); status != http.StatusOK || !strings.Contains(body, "No artist profile yet") {
			t.Errorf("member without an artist: %d", status)
		}
	})
}

// TestAdminDashboard: members, uploads, plays, storage, growth and top
// content for admins; members and moderators are refused.
func TestAdminDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		admin := f.member("boss", chorus.RoleAdmin)
		owner := f.member("maker", chorus.RoleArtist)
		band := f.artist(owner, "Site Band")
		song := f.track(band, "Site Song")
		day := statsNow.AddDate(0, 0, -1).Truncate(24 * time.Hour)
		f.events(day, analytics.Play, song, band, store.Event{}, people("v", 5)...)
		f.rollUp(day)
		for _, m := range []*chorus.Member{f.member("plain", chorus.RoleMember), f.member("mod", chorus.RoleModerator)} {
			if status, _, _ := f.get(m, "/admin/stats"); status != http.StatusForbidden {
				t.Errorf("%s on /admin/stats: %d, want 403", m.Role, status)
			}
		}
		status, body, _ := f.get(admin, "/admin/stats?period=7d")
		if status != http.StatusOK {
			t.Fatalf("admin stats: %d\n%.500s", status, body)
		}
		for _, want := range []string{"4 in all, 4 new in the period", "1 tracks in all, 1 uploaded in the period", "5 in the period",
			"1.5 KB", `<title id="growth-title">New members</title>`, `<title id="site-plays-title">Plays on the site</title>`,
			"Site Song by Site Band", ">Site Band</a>"} {
			if !strings.Contains(body, want) {
				t.Errorf("admin stats lack %q", want)
			}
		}
		if regexp.MustCompile(`<desc id="growth-desc">`).FindString(body) == "" {
			t.Error("the growth chart has no desc")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// newRequestAs is a GET of path by m.
func newRequestAs(m *chorus.Member, path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	return r.WithContext(context.WithValue(r.Context(), memberKey, m))
}
