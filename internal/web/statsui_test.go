package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestStatsSayWhenTodayCounts: on a site whose only plays are today's
// (not rolled up yet), the dashboards and the charts say that figures end
// with yesterday and that today's plays appear tomorrow.
func TestStatsSayWhenTodayCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		admin := f.member("chief", chorus.RoleAdmin)
		owner := f.member("fresh", chorus.RoleArtist)
		band := f.artist(owner, "Fresh Band")
		song := f.track(band, "Fresh Song", "pop")
		f.events(statsNow.Add(-time.Hour), analytics.Play, song, band, store.Event{}, people("t", 6)...)
		note := "Figures are complete up to the end of yesterday (UTC); today’s plays are added after the day ends."
		for _, c := range []struct {
			who        *chorus.Member
			path, want string
		}{
			{owner, fmt.Sprintf("/studio/artists/%d/stats", band.ID), "Plays from today appear tomorrow."},
			{admin, "/admin/stats", "Plays from today appear tomorrow."},
			{nil, "/charts", "plays from today count from tomorrow"},
		} {
			status, body, _ := f.get(c.who, c.path)
			if status != http.StatusOK || !strings.Contains(body, note) || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d, want the note and %q", c.path, status, c.want)
			}
		}
	})
}

// TestStatsLinks: the artist statistics are linked from the studio (for
// each artist) and the artist's profile page, the site statistics from
// the administration page, and the charts from every page's navigation;
// nobody is shown a link to statistics they may not see.
func TestStatsLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		admin := f.member("root", chorus.RoleAdmin)
		owner := f.member("twoband", chorus.RoleArtist)
		first, second := f.artist(owner, "First Band"), f.artist(owner, "Second Band")
		plain := f.member("plainer", chorus.RoleMember)
		_, body, _ := f.get(owner, "/studio")
		for _, a := range []chorus.Artist{first, second} {
			if !strings.Contains(body, fmt.Sprintf(`href="/studio/artists/%d/stats"`, a.ID)) {
				t.Errorf("/studio lacks the statistics of %s", a.Name)
			}
		}
		if strings.Contains(body, `href="/admin/stats"`) {
			t.Error("an artist is shown the site statistics")
		}
		if _, body, _ := f.get(owner, fmt.Sprintf("/studio/artists/%d", second.ID)); !strings.Contains(body, fmt.Sprintf(`href="/studio/artists/%d/stats"`, second.ID)) {
			t.Error("the artist's studio page lacks its statistics")
		}
		if _, body, _ := f.get(plain, "/studio"); strings.Contains(body, "/stats\"") {
			t.Error("a member without an artist is shown a statistics link")
		}
		if _, body, _ := f.get(admin, "/admin"); !strings.Contains(body, `href="/admin/stats"`) {
			t.Error("/admin lacks the site statistics")
		}
		for _, who := range []*chorus.Member{nil, plain} {
			if _, body, _ := f.get(who, "/"); !strings.Contains(body, `href="/charts"`) || strings.Contains(body, `href="/admin/stats"`) {
				t.Errorf("the home page's navigation (member %v): charts link %v", who != nil, strings.Contains(body, `href="/charts"`))
			}
		}
	})
}

// TestChartsFollowPublication: a track published, played and rolled up
// is in the charts, the home page and its tag's page; once unpublished it
// leaves them at once (the cached rankings notwithstanding), and the
// site statistics name it as not public, without a link to its page.
func TestChartsFollowPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		admin := f.member("keeper", chorus.RoleAdmin)
		owner := f.member("shy", chorus.RoleArtist)
		band := f.artist(owner, "Shy Band")
		song := f.track(band, "Shy Song", "ambient")
		day := statsNow.AddDate(0, 0, -1).Truncate(24 * time.Hour)
		f.events(day, analytics.Play, song, band, store.Event{}, people("p", 12)...)
		f.rollUp(day)
		pages := []string{"/charts?period=week", "/", "/tags/ambient", "/charts?tag=ambient"}
		for _, p := range pages {
			if _, body, _ := f.get(nil, p); !strings.Contains(body, "Shy Song") {
				t.Errorf("%s lacks the played track", p)
			}
		}
		if _, body, _ := f.get(admin, "/admin/stats?period=7d"); !strings.Contains(body, fmt.Sprintf(`href="/tracks/%d"`, song)) {
			t.Error("the site statistics do not link the public track")
		}
		if err := db.Tx(context.Background(), func(tx *store.Tx) error { return tx.SetPublished(context.Background(), song, false) }); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages[:3] {
			if _, body, _ := f.get(nil, p); strings.Contains(body, "Shy Song") || strings.Contains(body, ">Shy Band</a>") {
				t.Errorf("%s still shows the unpublished track or its artist", p)
			}
		}
		_, body, _ := f.get(admin, "/admin/stats?period=7d")
		if !strings.Contains(body, "Shy Song by Shy Band (not public)") || strings.Contains(body, fmt.Sprintf(`href="/tracks/%d"`, song)) {
			t.Error("the site statistics link the unpublished track as a public page")
		}
		if !strings.Contains(body, "Shy Band (not public)") || strings.Contains(body, `href="/artists/shy-band"`) {
			t.Error("the site statistics link an artist without public music")
		}
	})
}

// TestHistoryEntries: a followed artist and a viewed album are named and
// linked, a search's results are counted in the singular or plural, a
// page past the last is sent to the last page, and Global Privacy
// Control is named as what turns analytics off.
func TestHistoryEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		ctx := context.Background()
		owner := f.member("albummaker", chorus.RoleArtist)
		band := f.artist(owner, "Album Band")
		var albumID int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			id, err := tx.InsertTrack(ctx, store.NewTrack{ArtistID: band.ID, Title: "On The Album", AlbumTitle: "Long Player", LicenceID: "cc-by-4.0",
				OriginalKey: "o/album", OriginalFormat: "ogg", OriginalMIME: "audio/ogg", OriginalSize: 1000, ContentHash: "halbum"})
			if err != nil {
				return err
			}
			if err := tx.MarkProcessed(ctx, id, store.ProcessedTrack{StreamKey: "s/album", StreamSize: 500}); err != nil {
				return err
			}
			return tx.SetPublished(ctx, id, true)
		})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := db.Track(ctx, f.trackByTitle(t, band, "On The Album"))
		if err != nil {
			t.Fatal(err)
		}
		albumID = tr.AlbumID
		fan := f.member("fan", chorus.RoleMember)
		at := statsNow.Add(-time.Hour)
		record := func(e store.Event) {
			t.Helper()
			e.MemberID = fan.ID
			if err := f.in.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 55 {
			record(store.Event{Time: at.Add(-time.Duration(i+10) * time.Minute), Kind: string(analytics.PageView), Path: "/discussions"})
		}
		record(store.Event{Time: at, Kind: string(analytics.Follow), ArtistID: band.ID, Path: "/artists/album-band"})
		record(store.Event{Time: at.Add(-time.Minute), Kind: string(analytics.PageView), AlbumID: albumID, ArtistID: band.ID, Path: fmt.Sprintf("/albums/%d", albumID)})
		record(store.Event{Time: at.Add(-2 * time.Minute), Kind: string(analytics.Search), Query: "lonely", Results: 1})
		record(store.Event{Time: at.Add(-3 * time.Minute), Kind: string(analytics.Search), Query: "many", Results: 2})
		f.in.Close()

		status, body, _ := f.get(fan, "/settings/history")
		if status != http.StatusOK {
			t.Fatalf("history: %d", status)
		}
		for _, want := range []string{`<a href="/artists/album-band">Album Band</a>`, fmt.Sprintf(`<a href="/albums/%d">Long Player</a>`, albumID),
			"(1 result)", "(2 results)", "page 1 of 2"} {
			if !strings.Contains(body, want) {
				t.Errorf("history lacks %q", want)
			}
		}
		if strings.Contains(body, "an album</a>") || strings.Contains(body, "1 results") {
			t.Error("history names an album vaguely or says 1 results")
		}
		if status, _, h := f.get(fan, "/settings/history?page=3"); status != http.StatusSeeOther || h.Get("Location") != "/settings/history?page=2" {
			t.Errorf("page 3 of 2: %d to %q", status, h.Get("Location"))
		}
		if status, body, _ := f.get(fan, "/settings/history?page=2"); status != http.StatusOK || !strings.Contains(body, "page 2 of 2") {
			t.Errorf("page 2: %d", status)
		}

		// Analytics accepted, but the browser sends Global Privacy Control.
		f.consentTo(fan, consent.Analytics)
		r := newRequestAs(fan, "/settings/history")
		if _, body := serve(f, r); strings.Contains(body, "Global Privacy Control") || strings.Contains(body, "you have not") {
			t.Error("history blames the member or GPC without reason")
		}
		r = newRequestAs(fan, "/settings/history")
		r.Header.Set("Sec-GPC", "1")
		if _, body := serve(f, r); !strings.Contains(body, "Global Privacy Control signal, which turns analytics off") || strings.Contains(body, "you have not") {
			t.Error("with Sec-GPC the history does not name the signal")
		}
	})
}

// trackByTitle is the id of the artist's track titled title.
func (f *statsFixture) trackByTitle(t *testing.T, a chorus.Artist, title string) int64 {
	t.Helper()
	ts, _, err := f.db.Tracks(context.Background(), store.TrackFilter{ArtistID: a.ID, All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		if tr.Title == title {
			return tr.ID
		}
	}
	t.Fatalf("no track %q", title)
	return 0
}

func serve(f *statsFixture, r *http.Request) (int, string) {
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// TestStatsPeriodControls: dates without "Custom dates" are a custom
// period; a bad period is 400 on the page and the CSV alike; the twelve
// months are exactly twelve monthly bars; summaries read in plurals.
func TestStatsPeriodControls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner := f.member("periodic", chorus.RoleArtist)
		band := f.artist(owner, "Period Band")
		song := f.track(band, "Period Song")
		day := statsNow.AddDate(0, 0, -2).Truncate(24 * time.Hour)
		f.events(day, analytics.Play, song, band, store.Event{}, people("q", 6)...)
		f.rollUp(day)
		base := fmt.Sprintf("/studio/artists/%d/stats", band.ID)
		status, body, _ := f.get(owner, base+"?from=2026-06-10&to=2026-06-14")
		if status != http.StatusOK || !strings.Contains(body, "6 in all over 5 days, from 10 Jun to 14 Jun; the highest is 6, on 13 Jun.") ||
			!strings.Contains(body, `<option value="custom" selected>`) {
			t.Errorf("dates without a period: %d", status)
		}
		if status, body, _ := f.get(owner, base+"?from=2026-06-13&to=2026-06-13"); status != http.StatusOK || !strings.Contains(body, "6 in all, on 13 Jun.") {
			t.Errorf("a single day: %d", status)
		}
		for _, p := range []string{base, base + ".csv"} {
			if status, body, _ := f.get(owner, p+"?period=forever"); status != http.StatusBadRequest || !strings.Contains(body, "Choose one of the periods in the list.") {
				t.Errorf("%s?period=forever: %d, want 400 with the message", p, status)
			}
		}
		status, body, _ = f.get(owner, base+"?period=12m")
		if n := strings.Count(body, `<rect class="chart-bar"`); status != http.StatusOK || n != 12 {
			t.Errorf("twelve months: %d with %d bars", status, n)
		}
		if !strings.Contains(body, "6 in all over 12 months, from Jul 2025 to Jun 2026; the highest is 6, in Jun 2026.") || !strings.Contains(body, "1 Jul 2025 to 15 Jun 2026") {
			t.Error("the twelve months' summary is wrong")
		}
	})
}

// TestChartsPeriodAndTag: an unknown period is refused (400), a tag no
// track has is not found, the dates counted are shown, and a tag's
// charts link back to its tag page.
func TestChartsPeriodAndTag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner := f.member("tagger", chorus.RoleArtist)
		band := f.artist(owner, "Tag Band")
		f.track(band, "Tagged Song", "folk")
		if status, body, _ := f.get(nil, "/charts?period=garbage"); status != http.StatusBadRequest || !strings.Contains(body, "choose the period this week, this month or all time") {
			t.Errorf("bad period: %d", status)
		}
		if status, _, _ := f.get(nil, "/charts?tag=nonexistent"); status != http.StatusNotFound {
			t.Errorf("unknown tag: %d, want 404", status)
		}
		status, body, _ := f.get(nil, "/charts?tag=folk")
		if status != http.StatusOK || !strings.Contains(body, "7 days to 14 Jun 2026 (UTC)") || !strings.Contains(body, `href="/tags/folk"`) {
			t.Errorf("folk charts: %d", status)
		}
		if _, body, _ := f.get(nil, "/charts?period=month"); !strings.Contains(body, "30 days to 14 Jun 2026") {
			t.Error("the month's dates are not shown")
		}
		if _, body, _ := f.get(nil, "/charts?period=all"); !strings.Contains(body, "Every day up to 14 Jun 2026") {
			t.Error("all time's dates are not shown")
		}
	})
}
