package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestPeriodTotalsMatchDailySums checks that SubjectTotals gives the same
// rows from precomputed period totals as from the daily rows, for every
// kind, filter and limit, ties included; that a day rolled up again
// unlists the periods holding it; and that deleting periods keeps only
// those asked for.
func TestPeriodTotalsMatchDailySums(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := map[string]int64{}
		for _, tr := range []struct {
			artist, album, title string
			tags                 []string
		}{
			{"Ana", "First", "a1", []string{"jazz"}},
			{"Ana", "First", "a2", []string{"jazz", "folk"}},
			{"Ana", "", "a3", nil},
			{"Bo", "Second", "b1", []string{"folk"}},
			{"Bo", "Second", "b2", []string{"jazz"}},
			{"Cy", "", "c1", []string{"jazz"}},
		} {
			ids[tr.title] = mustTrack(t, db, tr.artist, tr.album, tr.title, tr.tags, true)
		}
		day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		// plays[title][d] are the plays of the track on day0+d: a1, b1 and
		// c1 tie over days 0..2, a2 and b2 tie too.
		plays := map[string][]int64{
			"a1": {3, 2, 1, 9}, "a2": {1, 1, 0, 0}, "a3": {0, 0, 4, 1},
			"b1": {2, 2, 2, 0}, "b2": {2, 0, 0, 5}, "c1": {6, 0, 0, 0},
		}
		rollUp := func(d int, extra int64) {
			t.Helper()
			var rows []store.DailyRow
			byAlbum, byArtist := map[int64]int64{}, map[int64]int64{}
			for title, ps := range plays {
				n := ps[d] + extra
				if n == 0 {
					continue
				}
				tr, err := db.Track(ctx, ids[title])
				if err != nil {
					t.Fatal(err)
				}
				rows = append(rows, store.DailyRow{SubjectKind: "track", SubjectID: tr.ID, Dimension: "all", Views: n + 1, Plays: n, Listeners: n, Downloads: n / 2, Favourites: n % 2},
					store.DailyRow{SubjectKind: "track", SubjectID: tr.ID, Dimension: "device", Value: "phone", Plays: n})
				if tr.AlbumID != 0 {
					byAlbum[tr.AlbumID] += n
				}
				byArtist[tr.ArtistID] += n
			}
			for id, n := range byAlbum {
				rows = append(rows, store.DailyRow{SubjectKind: "album", SubjectID: id, Dimension: "all", Plays: n, Listeners: 1})
			}
			for id, n := range byArtist {
				rows = append(rows, store.DailyRow{SubjectKind: "artist", SubjectID: id, Dimension: "all", Plays: n, Views: 2})
			}
			rows = append(rows, store.DailyRow{SubjectKind: "site", Dimension: "all", Plays: 100})
			if err := db.ReplaceDay(ctx, day0.AddDate(0, 0, d), rows); err != nil {
				t.Fatal(err)
			}
		}
		for d := range 4 {
			rollUp(d, 0)
		}
		day := func(d int) string { return day0.AddDate(0, 0, d).Format(store.DayFormat) }
		ana, err := db.Track(ctx, ids["a1"])
		if err != nil {
			t.Fatal(err)
		}
		periods := []store.Period{{day(0), day(2)}, {day(0), day(3)}, {day(3), day(3)}, {day(5), day(9)}}
		var queries []store.TotalsQuery
		for _, p := range periods {
			for _, kind := range []string{"track", "album", "artist"} {
				for _, limit := range []int{0, 1, 2, 10} {
					for _, f := range []struct {
						artist int64
						tag    string
					}{{0, ""}, {ana.ArtistID, ""}, {0, "jazz"}, {ana.ArtistID, "jazz"}, {0, "nothing"}} {
						queries = append(queries, store.TotalsQuery{SubjectKind: kind, From: p.From, To: p.To, ArtistID: f.artist, Tag: f.tag, Limit: limit})
					}
				}
			}
		}
		answer := func() map[string][]store.DailyRow {
			t.Helper()
			out := map[string][]store.DailyRow{}
			for _, q := range queries {
				rows, err := db.SubjectTotals(ctx, q)
				if err != nil {
					t.Fatalf("%+v: %v", q, err)
				}
				out[fmt.Sprintf("%+v", q)] = rows
			}
			return out
		}
		live := answer()
		if rows := live[fmt.Sprintf("%+v", store.TotalsQuery{SubjectKind: "track", From: day(0), To: day(2), Limit: 10})]; len(rows) != 6 || rows[0].Plays != 6 || rows[0].SubjectID != ids["a1"] {
			t.Fatalf("live totals of days 0..2: %+v", rows)
		}
		for _, p := range periods {
			if err := db.ComputePeriodTotals(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		listed, err := db.PrecomputedPeriods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]store.Period{periods[0], periods[1], periods[2], periods[3]}, listed); diff != "" {
			t.Fatalf("precomputed periods (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(live, answer()); diff != "" {
			t.Fatalf("precomputed totals differ from daily sums (-daily +precomputed):\n%s", diff)
		}

		// The precomputed rows are what is read: a change to them shows.
		q := store.TotalsQuery{SubjectKind: "track", From: day(0), To: day(3), Limit: 1}
		if _, err := db.SQL().ExecContext(ctx, bind(db, `UPDATE analytics_period_totals SET plays = 1000 WHERE from_day = ? AND to_day = ? AND subject_kind = 'track' AND subject_id = ?`), day(0), day(3), ids["a3"]); err != nil {
			t.Fatal(err)
		}
		if rows, err := db.SubjectTotals(ctx, q); err != nil || len(rows) != 1 || rows[0].SubjectID != ids["a3"] || rows[0].Plays != 1000 {
			t.Fatalf("precomputed read: %+v, %v", rows, err)
		}

		// Rolling day 1 up again unlists the periods holding it, whose
		// totals are then summed from the new daily rows.
		rollUp(1, 10)
		if listed, err = db.PrecomputedPeriods(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]store.Period{periods[2], periods[3]}, listed); diff != "" {
			t.Fatalf("periods after rolling day 1 up again (-want +got):\n%s", diff)
		}
		after := answer()
		if rows := after[fmt.Sprintf("%+v", q)]; len(rows) != 1 || rows[0].SubjectID != ids["a1"] || rows[0].Plays != 15+10 {
			t.Fatalf("totals after rolling day 1 up again: %+v", rows)
		}
		for _, p := range periods[:2] {
			if err := db.ComputePeriodTotals(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(after, answer()); diff != "" {
			t.Fatalf("recomputed totals differ from daily sums (-daily +precomputed):\n%s", diff)
		}

		// Keeping some periods deletes the others' totals and listing.
		if err := db.KeepPeriodTotals(ctx, periods[1:2]); err != nil {
			t.Fatal(err)
		}
		if listed, err = db.PrecomputedPeriods(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(periods[1:2], listed); diff != "" {
			t.Fatalf("periods kept (-want +got):\n%s", diff)
		}
		var left int
		if err := db.SQL().QueryRowContext(ctx, bind(db, `SELECT COUNT(*) FROM analytics_period_totals WHERE NOT (from_day = ? AND to_day = ?)`), day(0), day(3)).Scan(&left); err != nil || left != 0 {
			t.Fatalf("%d totals of deleted periods left (%v)", left, err)
		}
		if diff := cmp.Diff(after, answer()); diff != "" {
			t.Fatalf("totals after deleting periods (-want +got):\n%s", diff)
		}
	})
}

// bind numbers the placeholders of q for PostgreSQL.
func bind(db *store.DB, q string) string {
	if db.Dialect() != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestPeriodTotalsRolledUpWhileSumming checks that a day of the period
// rolled up again between reading the sums and writing them makes
// ComputePeriodTotals sum again, and give up when that keeps happening.
func TestPeriodTotalsRolledUpWhileSumming(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id := mustTrack(t, db, "Ana", "", "a1", nil, true)
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		rollUp := func(plays int64) {
			if err := db.ReplaceDay(ctx, day, []store.DailyRow{{SubjectKind: "track", SubjectID: id, Dimension: "all", Plays: plays}}); err != nil {
				t.Error(err)
			}
		}
		rollUp(1)
		p := store.Period{From: "2026-03-01", To: "2026-03-07"}
		q := store.TotalsQuery{SubjectKind: "track", From: p.From, To: p.To}

		// Once: the second summing sees the new rows.
		plays := int64(1)
		store.SetAfterPeriodSums(func() {
			if plays == 1 {
				plays = 5
				rollUp(plays)
			}
		})
		t.Cleanup(func() { store.SetAfterPeriodSums(nil) })
		if err := db.ComputePeriodTotals(ctx, p); err != nil {
			t.Fatal(err)
		}
		if listed, err := db.PrecomputedPeriods(ctx); err != nil || len(listed) != 1 {
			t.Fatalf("listed %v (%v)", listed, err)
		}
		if rows, err := db.SubjectTotals(ctx, q); err != nil || len(rows) != 1 || rows[0].Plays != 5 {
			t.Fatalf("totals %+v (%v), want 5 plays", rows, err)
		}

		// Every time: it gives up and leaves the period unlisted.
		store.SetAfterPeriodSums(func() { plays++; rollUp(plays) })
		if err := db.ComputePeriodTotals(ctx, p); !errors.Is(err, store.ErrPeriodChanged) {
			t.Fatalf("got %v, want ErrPeriodChanged", err)
		}
		if listed, err := db.PrecomputedPeriods(ctx); err != nil || len(listed) != 0 {
			t.Fatalf("listed %v (%v)", listed, err)
		}
		if rows, err := db.SubjectTotals(ctx, q); err != nil || len(rows) != 1 || rows[0].Plays != plays {
			t.Fatalf("totals %+v (%v), want %d plays", rows, err, plays)
		}
	})
}
