package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/consent"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// before reports whether a comes before b in body, both present.
func before(body, a, b string) bool {
	i, j := strings.Index(body, a), strings.Index(body, b)
	return i >= 0 && j >= 0 && i < j
}

// TestChartsPages seeds two weeks of plays and reads the charts: the
// week's popularity order, buzz (this week against the last), the tag
// filter, and the home and tag pages' summaries.
func TestChartsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner := f.member("charter", chorus.RoleArtist)
		band := f.artist(owner, "Chart Band")
		steady := f.track(band, "Steady Song", "rock")
		riser := f.track(band, "Rising Song", "rock")
		lone := f.track(band, "Lone Play", "jazz")
		lastWeek := statsNow.AddDate(0, 0, -10).Truncate(24 * time.Hour)
		thisWeek := statsNow.AddDate(0, 0, -2).Truncate(24 * time.Hour)
		f.events(lastWeek, analytics.Play, steady, band, store.Event{}, people("s", 30)...)
		f.events(lastWeek, analytics.Play, riser, band, store.Event{}, people("r", 2)...)
		f.events(thisWeek, analytics.Play, steady, band, store.Event{}, people("s", 30)...)
		f.events(thisWeek, analytics.Play, riser, band, store.Event{}, people("r", 12)...)
		f.events(thisWeek, analytics.Play, lone, band, store.Event{}, "x")
		f.rollUp(lastWeek, thisWeek)

		status, body, _ := f.get(nil, "/charts?period=week")
		if status != http.StatusOK {
			t.Fatalf("/charts: %d", status)
		}
		tracks := body[strings.Index(body, `id="h-tracks"`):strings.Index(body, `id="h-buzz-tracks"`)]
		if !before(tracks, "Steady Song", "Rising Song") || !before(tracks, "Rising Song", "Lone Play") {
			t.Errorf("the week's tracks are not in popularity order:\n%s", tracks)
		}
		buzz := body[strings.Index(body, `id="h-buzz-tracks"`):strings.Index(body, `id="h-albums"`)]
		if !strings.Contains(buzz, "Rising Song") || strings.Contains(buzz, "Steady Song") || strings.Contains(buzz, "Lone Play") {
			t.Errorf("buzz should hold only the rising track (steady is flat, one play is below the minimum):\n%s", buzz)
		}
		if !strings.Contains(body, "popularity 12, up from 2") {
			t.Error("buzz does not show the change")
		}
		if !strings.Contains(body[strings.Index(body, `id="h-artists"`):], "Chart Band") {
			t.Error("the artists chart lacks the artist")
		}
		// All time has no buzz; jazz holds only its track.
		if _, body, _ := f.get(nil, "/charts?period=all"); strings.Contains(body, "rising fastest") || !strings.Contains(body, "popularity 60") {
			t.Error("the all-time chart is wrong")
		}
		if _, body, _ := f.get(nil, "/charts?tag=jazz&period=week"); !strings.Contains(body, "Lone Play") || strings.Contains(body, "Steady Song") {
			t.Error("the jazz chart holds other tags' tracks")
		}
		// The home page and the tag page show the week's charts.
		if _, body, _ := f.get(nil, "/"); !strings.Contains(body, "Top tracks this week") || !strings.Contains(body, "Rising fastest") {
			t.Error("the home page lacks the charts")
		}
		if _, body, _ := f.get(nil, "/tags/rock"); !strings.Contains(body, "Top tracks this week") || !strings.Contains(body, "/charts?tag=rock") {
			t.Error("the tag page lacks its charts")
		}
		// An unpublished track leaves the charts, cached rankings notwithstanding.
		if err := db.Tx(context.Background(), func(tx *store.Tx) error { return tx.SetPublished(context.Background(), steady, false) }); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := f.get(nil, "/charts?period=week"); strings.Contains(body, "Steady Song") {
			t.Error("an unpublished track is in the charts")
		}
	})
}

// consentTo records the member's choice of purposes.
func (f *statsFixture) consentTo(m *chorus.Member, given ...consent.Purpose) {
	f.t.Helper()
	err := f.db.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.RecordConsent(context.Background(), store.ConsentSubject{MemberID: m.ID},
			consent.Record{Given: given, PolicyVersion: "2026-11-01", Wording: "test", Source: consent.FromSettings})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// TestRecommendations: similar tracks for everyone by shared tags and by
// co-listening (consented plays only, and only from MinListeners people
// on), each with its reason; "for you" only with personalisation consent,
// and without it the member's history is not read at all.
func TestRecommendations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newStatsFixture(t, db)
		owner := f.member("recommender", chorus.RoleArtist)
		band := f.artist(owner, "Rec Band")
		seed := f.track(band, "Seed Song", "ambient", "drone")
		f.track(band, "Tagged Twin", "ambient", "drone")
		f.track(band, "Half Twin", "ambient")
		together := f.track(band, "Played Together")
		anonymous := f.track(band, "Played Anonymously")
		f.track(band, "Unrelated")
		day := statsNow.AddDate(0, 0, -1)

		// Five consenting visitors play seed and together; five plays of
		// anonymous come without identifiers and cannot link anything.
		five := people("c", analytics.MinListeners)
		f.events(day, analytics.Play, seed, band, store.Event{}, five...)
		f.events(day.Add(time.Hour), analytics.Play, together, band, store.Event{}, five...)
		for range 5 {
			if err := f.in.Record(context.Background(), store.Event{Time: day, Kind: string(analytics.Play), TrackID: anonymous, ArtistID: band.ID}); err != nil {
				t.Fatal(err)
			}
		}
		_, body, _ := f.get(nil, "/tracks/"+itoa(seed))
		similar := body[strings.Index(body, `id="h-similar"`):]
		for _, want := range []string{"Played Together", "Often played by the same listeners (5 people played both)",
			"Tagged Twin", "Shares the tags ambient, drone", "Half Twin", "Shares the tag ambient"} {
			if !strings.Contains(similar, want) {
				t.Errorf("similar tracks lack %q", want)
			}
		}
		if !before(similar, "Played Together", "Tagged Twin") || !before(similar, "Tagged Twin", "Half Twin") {
			t.Error("similar tracks are not ordered by strength")
		}
		for _, not := range []string{"Played Anonymously", "Unrelated", "c0", "c1"} {
			if strings.Contains(similar, not) {
				t.Errorf("similar tracks show %q", not)
			}
		}
		// Four co-listeners are too few.
		quiet := f.track(band, "Quiet Pair")
		f.events(day, analytics.Play, quiet, band, store.Event{}, five[:4]...)
		if _, body, _ := f.get(nil, "/tracks/"+itoa(seed)); strings.Contains(body, "Quiet Pair") {
			t.Error("a track played by four of the same listeners is recommended")
		}

		// A member who played seed (their plays linked: analytics consent).
		fan := f.member("fan", chorus.RoleMember)
		f.events(day, analytics.Play, seed, band, store.Event{}, "m"+itoa(fan.ID))
		f.consentTo(fan, consent.Analytics)
		read := 0
		f.s.recentPlays = func(ctx context.Context, id int64, limit int) ([]int64, error) {
			read++
			return db.RecentPlays(ctx, id, limit)
		}
		if _, body, _ := f.get(fan, "/"); strings.Contains(body, "For you") || read != 0 {
			t.Errorf("without personalisation consent: for you shown %v, history read %d times", strings.Contains(body, "For you"), read)
		}
		// With consent: suggestions from their own plays, saying why.
		f.consentTo(fan, consent.Analytics, consent.Personalisation)
		_, body, _ = f.get(fan, "/")
		if !strings.Contains(body, "For you") || !strings.Contains(body, "Because you played Seed Song: often played by the same listeners") ||
			!strings.Contains(body, "Because you played Seed Song: shares the tags ambient, drone") || read != 1 {
			t.Errorf("with consent: read %d\n%s", read, body[strings.Index(body, "<main"):])
		}
		// A Global Privacy Control signal refuses it again.
		r := newRequestAs(fan, "/")
		r.Header.Set("Sec-GPC", "1")
		if recs, err := f.s.forYou(r); err != nil || recs != nil || read != 1 {
			t.Errorf("with Sec-GPC: %v %v, history read %d times", recs, err, read)
		}
		// A visitor gets nothing personal.
		if _, body, _ := f.get(nil, "/"); strings.Contains(body, "For you") {
			t.Error("a visitor got suggestions for them")
		}
	})
}
