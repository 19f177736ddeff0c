package analytics_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/analytics"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestAggregateMergesSmallCells checks the fewer-than-5 rule: a breakdown
// value seen by fewer than MinListeners people is merged into "other",
// while the totals stay exact.
func TestAggregateMergesSmallCells(t *testing.T) {
	var events []store.Event
	play := func(member int64, browser, device string) {
		events = append(events, store.Event{Kind: string(analytics.Play), TrackID: 7, AlbumID: 3, ArtistID: 2,
			MemberID: member, Browser: browser, Device: device, Referrer: "example.org"})
	}
	for m := int64(1); m <= 5; m++ { // five Firefox listeners, one playing twice
		play(m, "Firefox", "desktop")
	}
	play(1, "Firefox", "desktop")
	play(6, "Safari", "mobile") // alone on Safari
	play(7, "Edge", "mobile")   // alone on Edge
	events = append(events, store.Event{Kind: string(analytics.Download), TrackID: 7, AlbumID: 3, ArtistID: 2,
		VisitorID: "v1", Browser: "Chrome", Device: "desktop"}) // a visitor who only downloads
	rows, err := analytics.Aggregate(func(fn func(store.Event) error) error {
		for _, e := range events {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.DailyRow{}
	for _, r := range rows {
		got[fmt.Sprintf("%s/%d/%s/%s", r.SubjectKind, r.SubjectID, r.Dimension, r.Value)] = r
	}
	want := map[string]struct{ plays, listeners, downloads int64 }{
		"track/7/all/":                 {8, 7, 1},
		"track/7/browser/Firefox":      {6, 5, 0},
		"track/7/browser/other":        {2, 2, 1}, // Safari, Edge and Chrome: 3 people
		"track/7/device/desktop":       {6, 5, 1}, // 6 people
		"track/7/device/other":         {2, 2, 0}, // mobile: 2 people
		"track/7/referrer/example.org": {8, 7, 0},
		"track/7/referrer/other":       {0, 0, 1}, // the visitor came directly, alone
		"album/3/all/":                 {8, 7, 1},
		"artist/2/browser/Firefox":     {6, 5, 0},
		"site/0/all/":                  {8, 7, 1},
	}
	for k, w := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("no row %s", k)
			continue
		}
		if r.Plays != w.plays || r.Listeners != w.listeners || r.Downloads != w.downloads {
			t.Errorf("%s: plays %d listeners %d downloads %d, want %d %d %d", k, r.Plays, r.Listeners, r.Downloads, w.plays, w.listeners, w.downloads)
		}
	}
	for _, k := range []string{"track/7/browser/Safari", "track/7/browser/Edge", "track/7/browser/Chrome", "track/7/device/mobile", "track/7/referrer/", "site/0/browser/Safari"} {
		if _, ok := got[k]; ok {
			t.Errorf("row %s describes fewer than %d people; it should be merged into other", k, analytics.MinListeners)
		}
	}
}

// TestAggregateMergesSmallCountries: the breakdown by country follows the
// same rule. Five listeners in France make a row of their own; the four
// in Germany, the one in Japan and the two of unknown country are each
// fewer than five, so they appear only inside "other", never by name.
func TestAggregateMergesSmallCountries(t *testing.T) {
	var events []store.Event
	listen := func(visitor, country string) {
		events = append(events, store.Event{Kind: string(analytics.Play), TrackID: 7, ArtistID: 2, VisitorID: visitor, Country: country})
	}
	for i := range 5 {
		listen(fmt.Sprintf("fr%d", i), "FR")
	}
	listen("fr0", "FR") // a second play by one of them
	for i := range 4 {
		listen(fmt.Sprintf("de%d", i), "DE")
		listen(fmt.Sprintf("de%d", i), "DE")
	}
	listen("jp0", "JP")
	listen("unknown0", "")
	listen("unknown1", "")
	rows, err := analytics.Aggregate(func(fn func(store.Event) error) error {
		for _, e := range events {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{}
	for _, r := range rows {
		if r.Dimension == analytics.DimCountry {
			got[fmt.Sprintf("%s/%d/%s", r.SubjectKind, r.SubjectID, r.Value)] = [2]int64{r.Plays, r.Listeners}
		}
	}
	want := map[string][2]int64{
		"track/7/FR": {6, 5}, "track/7/other": {11, 7},
		"artist/2/FR": {6, 5}, "artist/2/other": {11, 7},
		"site/0/FR": {6, 5}, "site/0/other": {11, 7},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("country rows (-want +got):\n%s", diff)
	}
}

func event(i int, at time.Time) store.Event {
	return store.Event{Time: at, Kind: string(analytics.PageView), Path: fmt.Sprintf("/p/%d", i), Network: "192.0.2.0/24",
		Browser: "Firefox", OS: "Linux", Device: "desktop", IP: "192.0.2.7"}
}

// TestIngesterCommitsEveryAcknowledgedEvent records from many goroutines
// and closes the ingester in the middle of the run, as a shutdown does:
// every event whose Record returned nil is in the database afterwards,
// and the ones refused were refused with ErrClosed.
func TestIngesterCommitsEveryAcknowledgedEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		in := analytics.New(db, analytics.Options{Queue: 256, Batch: 64})
		var mu sync.Mutex
		acked := map[string]bool{}
		var wg sync.WaitGroup
		start := time.Now()
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					ev := event(g*1_000_000+i, start)
					err := in.Record(ctx, ev)
					if errors.Is(err, analytics.ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("record: %v", err)
						return
					}
					mu.Lock()
					acked[ev.Path] = true
					mu.Unlock()
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		in.Close()
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no event was acknowledged before Close")
		}
		stored, err := db.Strings(ctx, `SELECT path FROM analytics_events`)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, p := range stored {
			have[p] = true
		}
		lost := 0
		for p := range acked {
			if !have[p] {
				lost++
			}
		}
		if lost > 0 {
			t.Errorf("%d of %d acknowledged events are not in the database", lost, len(acked))
		}
		if logs, err := db.Strings(ctx, `SELECT ip FROM security_log`); err != nil || len(logs) != len(stored) {
			t.Errorf("security log has %d entries for %d events (%v)", len(logs), len(stored), err)
		}
		if err := in.Record(ctx, event(0, start)); !errors.Is(err, analytics.ErrClosed) {
			t.Errorf("Record after Close = %v, want ErrClosed", err)
		}
	})
}

// holdWriteLock opens a transaction that keeps the ingester from
// committing until it is rolled back: an exclusive lock on
// analytics_events on PostgreSQL, SQLite's one write lock there.
func holdWriteLock(t *testing.T, db *store.DB) *sql.Tx {
	t.Helper()
	ctx := context.Background()
	lock, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect() == store.Postgres {
		_, err = lock.ExecContext(ctx, `LOCK TABLE analytics_events IN EXCLUSIVE MODE`)
	} else {
		_, err = lock.ExecContext(ctx, `INSERT INTO analytics_rollups (day, rolled_at) VALUES ('1999-01-01', CURRENT_TIMESTAMP)`)
	}
	if err != nil {
		t.Fatal(err)
	}
	return lock
}

// TestIngesterPushesBack holds the database's write lock so that no batch
// can commit: once the bounded queue is full, Record gives up with
// ErrBusy instead of queueing more; when the lock goes, the queued events
// are committed.
func TestIngesterPushesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lock := holdWriteLock(t, db)
		in := analytics.New(db, analytics.Options{Queue: 8, Batch: 4, Wait: 50 * time.Millisecond})
		defer in.Close()
		results := make(chan error, 40)
		for i := 0; i < 40; i++ {
			go func() { results <- in.Record(ctx, event(i, time.Now())) }()
		}
		busy := 0
		for i := 0; i < 40-8-4; i++ { // at most Queue waiting plus one Batch being written
			if err := <-results; errors.Is(err, analytics.ErrBusy) {
				busy++
			} else {
				t.Errorf("while the database is locked, Record = %v, want ErrBusy", err)
			}
		}
		if err := lock.Rollback(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 8+4; i++ {
			if err := <-results; err != nil && !errors.Is(err, analytics.ErrBusy) {
				t.Errorf("after the lock: %v", err)
			}
		}
		if busy == 0 {
			t.Error("no Record was refused while the queue was full")
		}
	})
}

// TestEnqueueNeverWaits holds the database's write lock: Enqueue still
// returns at once, queued events count as dropped once the bounded queue
// is full, and when the lock goes a Record that returns proves every event
// queued before it committed.
func TestEnqueueNeverWaits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lock := holdWriteLock(t, db)
		in := analytics.New(db, analytics.Options{Queue: 8, Batch: 4, Wait: time.Minute})
		defer in.Close()
		queued := 0
		for i := range 40 {
			switch err := in.Enqueue(event(i, time.Now())); {
			case err == nil:
				queued++
			case !errors.Is(err, analytics.ErrBusy):
				t.Fatalf("Enqueue = %v", err)
			}
		}
		if queued > 8+4 || queued < 8 {
			t.Errorf("%d events queued while the database was locked, want the queue (8) plus at most a batch (4)", queued)
		}
		if got := in.Dropped(); got != int64(40-queued) {
			t.Errorf("Dropped = %d, want %d", got, 40-queued)
		}
		if err := lock.Rollback(); err != nil {
			t.Fatal(err)
		}
		last := event(1000, time.Now())
		if err := in.Record(ctx, last); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountEvents(ctx); n != int64(queued+1) {
			t.Errorf("%d events stored once the acknowledged one was, want the %d queued before it and itself", n, queued)
		}
		in.Close()
		if err := in.Enqueue(last); !errors.Is(err, analytics.ErrClosed) {
			t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
		}
	})
}

// TestMaintainFoldsAndDeletes checks the retention job: old days are
// rolled up into analytics_daily before their raw events are deleted,
// and the security log keeps only its days.
func TestMaintainFoldsAndDeletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		old := now.Add(-400 * 24 * time.Hour)
		recent := now.Add(-3 * 24 * time.Hour)
		var evs []store.Event
		for m := int64(1); m <= 6; m++ {
			for _, at := range []time.Time{old, recent, now} {
				evs = append(evs, store.Event{Time: at, Kind: string(analytics.Play), TrackID: 9, ArtistID: 4, MemberID: m,
					Browser: "Firefox", Device: "desktop", IP: "192.0.2.1"})
			}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertEvents(ctx, evs) }); err != nil {
			t.Fatal(err)
		}
		deleted, logs, err := analytics.Maintain(ctx, db, now, 395*24*time.Hour, 7*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if deleted != 6 || logs != 6 {
			t.Errorf("deleted %d events and %d log entries, want 6 and 6", deleted, logs)
		}
		if n, _ := db.CountEvents(ctx); n != 12 {
			t.Errorf("%d raw events left, want 12", n)
		}
		for _, day := range []time.Time{old, recent} {
			d := day.Format(store.DayFormat)
			rows, err := db.Daily(ctx, store.DailyQuery{SubjectKind: analytics.SubjectTrack, SubjectID: 9, Dimension: analytics.DimAll, From: d, To: d})
			if err != nil {
				t.Fatal(err)
			}
			want := []store.DailyRow{{SubjectKind: "track", SubjectID: 9, Dimension: "all", Day: d, Plays: 6, Listeners: 6}}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("aggregates of %s (-want +got):\n%s", d, diff)
			}
		}
		// Over the whole period, by browser: two days of 6 Firefox listeners.
		totals, err := db.DailyTotals(ctx, store.DailyQuery{SubjectKind: analytics.SubjectArtist, SubjectID: 4, Dimension: analytics.DimBrowser,
			From: old.Format(store.DayFormat), To: now.Format(store.DayFormat)})
		if err != nil {
			t.Fatal(err)
		}
		wantTotals := []store.DailyRow{{SubjectKind: "artist", SubjectID: 4, Dimension: "browser", Value: "Firefox", Plays: 12, Listeners: 12}}
		if diff := cmp.Diff(wantTotals, totals); diff != "" {
			t.Errorf("totals (-want +got):\n%s", diff)
		}
		// Today is not finished: not rolled up yet.
		d := now.Format(store.DayFormat)
		if rows, _ := db.Daily(ctx, store.DailyQuery{SubjectKind: "track", SubjectID: 9, Dimension: "all", From: d, To: d}); len(rows) != 0 {
			t.Errorf("today was rolled up: %v", rows)
		}
		// Running again changes nothing.
		if deleted, _, err := analytics.Maintain(ctx, db, now, 395*24*time.Hour, 7*24*time.Hour); err != nil || deleted != 0 {
			t.Errorf("second run deleted %d (%v)", deleted, err)
		}
	})
}

// TestMaintainPrecomputesSitePeriods checks that the retention job keeps
// exactly the periods the site shows precomputed, with the same totals
// as the daily rows, and recomputes those holding a day rolled up again.
func TestMaintainPrecomputesSitePeriods(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		var evs []store.Event
		for m := int64(1); m <= 6; m++ {
			for d, at := range []time.Time{now.AddDate(0, 0, -40), now.AddDate(0, 0, -3), now.AddDate(0, 0, -1)} {
				evs = append(evs, store.Event{Time: at, Kind: string(analytics.Play), TrackID: 9 + int64(d)%2, ArtistID: 4, MemberID: m})
			}
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertEvents(ctx, evs) }); err != nil {
			t.Fatal(err)
		}
		// A period no page shows any more.
		stale := store.Period{From: "2025-01-01", To: "2025-01-31"}
		if err := db.ComputePeriodTotals(ctx, stale); err != nil {
			t.Fatal(err)
		}
		if _, _, err := analytics.Maintain(ctx, db, now, 395*24*time.Hour, 7*24*time.Hour); err != nil {
			t.Fatal(err)
		}
		want := analytics.SitePeriods(now)
		if len(want) != 8 {
			t.Fatalf("site periods: %v, want 8 (3 dashboard presets, 3 chart periods, 2 compared)", want)
		}
		slices.SortFunc(want, func(a, b store.Period) int {
			if c := strings.Compare(a.From, b.From); c != 0 {
				return c
			}
			return strings.Compare(a.To, b.To)
		})
		listed, err := db.PrecomputedPeriods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, listed); diff != "" {
			t.Fatalf("precomputed periods (-want +got):\n%s", diff)
		}
		// The 12-month dashboard period: every roll-up so far.
		from, to, _ := analytics.DashboardPeriod("12m", now)
		q := store.TotalsQuery{SubjectKind: analytics.SubjectTrack, From: from.Format(store.DayFormat), To: to.Format(store.DayFormat)}
		rows, err := db.SubjectTotals(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		wantRows := []store.DailyRow{{SubjectKind: "track", SubjectID: 9, Dimension: "all", Plays: 12, Listeners: 12},
			{SubjectKind: "track", SubjectID: 10, Dimension: "all", Plays: 6, Listeners: 6}}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Fatalf("12-month totals (-want +got):\n%s", diff)
		}
		// Nothing to do on a second run the same day.
		if n, err := analytics.PrecomputePeriods(ctx, db, now); err != nil || n != 0 {
			t.Fatalf("second run computed %d periods (%v)", n, err)
		}
		// Rolling yesterday up again unlists the periods holding it; the
		// next run computes them again (the 7-day, 30-day and 12-month
		// presets, and the week, month and all-time charts).
		if err := analytics.RollUpDay(ctx, db, now.AddDate(0, 0, -1).Truncate(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n, err := analytics.PrecomputePeriods(ctx, db, now); err != nil || n != 6 {
			t.Fatalf("run after a day rolled up again computed %d periods (%v), want 6", n, err)
		}
		if rows, err = db.SubjectTotals(ctx, q); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Fatalf("12-month totals after recomputing (-want +got):\n%s", diff)
		}
		// The next day's periods replace the day's.
		next := now.AddDate(0, 0, 1)
		if _, err := analytics.PrecomputePeriods(ctx, db, next); err != nil {
			t.Fatal(err)
		}
		if listed, err = db.PrecomputedPeriods(ctx); err != nil {
			t.Fatal(err)
		}
		if len(listed) != 8 || !slices.Contains(listed, store.Period{From: "0000-01-01", To: "2026-03-10"}) {
			t.Fatalf("periods of the next day: %v", listed)
		}
	})
}

// TestAggregateCountsRepeatsOnce: fetching a file again or taking a
// favourite back and giving it again counts once a day per person and
// track, so that one person cannot inflate a track's statistics.
func TestAggregateCountsRepeatsOnce(t *testing.T) {
	var evs []store.Event
	add := func(kind analytics.Kind, member, track int64, n int) {
		for range n {
			evs = append(evs, store.Event{Kind: string(kind), TrackID: track, ArtistID: 1, MemberID: member, Browser: "Firefox", Device: "desktop"})
		}
	}
	add(analytics.Download, 1, 10, 13)
	add(analytics.Download, 2, 10, 1)
	add(analytics.Download, 2, 11, 2)
	add(analytics.Favourite, 1, 10, 5)
	add(analytics.Play, 1, 10, 3)
	rows, err := analytics.Aggregate(func(fn func(store.Event) error) error {
		for _, e := range evs {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		if r.Dimension == analytics.DimAll {
			got[fmt.Sprintf("%s %d", r.SubjectKind, r.SubjectID)] = fmt.Sprintf("plays %d downloads %d favourites %d", r.Plays, r.Downloads, r.Favourites)
		}
	}
	want := map[string]string{
		"track 10": "plays 3 downloads 2 favourites 1",
		"track 11": "plays 0 downloads 1 favourites 0",
		"artist 1": "plays 3 downloads 3 favourites 1",
		"site 0":   "plays 3 downloads 3 favourites 1",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
}
