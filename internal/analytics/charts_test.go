package analytics

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"chorus/internal/store"
)

func row(id, plays, downloads, favourites int64) store.DailyRow {
	return store.DailyRow{SubjectID: id, Plays: plays, Downloads: downloads, Favourites: favourites}
}

func ids(rs []Ranked) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.SubjectID)
	}
	return out
}

func TestRankPopular(t *testing.T) {
	for _, tc := range []struct {
		name   string
		totals []store.DailyRow
		limit  int
		want   []int64
	}{
		{"plays alone", []store.DailyRow{row(1, 5, 0, 0), row(2, 9, 0, 0), row(3, 7, 0, 0)}, 10, []int64{2, 3, 1}},
		{"downloads and favourites weigh more than plays", []store.DailyRow{row(1, 10, 0, 0), row(2, 4, 2, 1)}, 10, []int64{2, 1}}, // 10 vs 4+4+3=11
		{"a tie goes to more plays, then the lower id", []store.DailyRow{row(3, 2, 1, 0), row(1, 4, 0, 0), row(2, 4, 0, 0)}, 10, []int64{1, 2, 3}},
		{"the limit", []store.DailyRow{row(1, 1, 0, 0), row(2, 2, 0, 0), row(3, 3, 0, 0)}, 2, []int64{3, 2}},
		{"nothing counted is left out", []store.DailyRow{row(1, 0, 0, 0), row(2, 1, 0, 0)}, 10, []int64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(RankPopular(tc.totals, tc.limit)); !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRankBuzz(t *testing.T) {
	for _, tc := range []struct {
		name           string
		current, prior []store.DailyRow
		want           []int64
	}{
		{"one play after none does not top it", []store.DailyRow{row(1, 1, 0, 0), row(2, 40, 0, 0)}, []store.DailyRow{row(2, 10, 0, 0)}, []int64{2}},
		{"below the minimum is left out even from nothing", []store.DailyRow{row(1, 9, 0, 0)}, nil, nil},
		{"at the minimum from nothing counts", []store.DailyRow{row(1, 10, 0, 0)}, nil, []int64{1}},
		{"growth, not size, ranks", []store.DailyRow{row(1, 400, 0, 0), row(2, 30, 0, 0)}, []store.DailyRow{row(1, 300, 0, 0), row(2, 5, 0, 0)}, []int64{2, 1}}, // 100/310 vs 25/15
		{"falling or flat is not buzz", []store.DailyRow{row(1, 50, 0, 0), row(2, 20, 0, 0)}, []store.DailyRow{row(1, 50, 0, 0), row(2, 80, 0, 0)}, nil},
		{"from nothing to 10 does not beat 100 to 400", []store.DailyRow{row(1, 10, 0, 0), row(2, 400, 0, 0)}, []store.DailyRow{row(2, 100, 0, 0)}, []int64{2, 1}},
		{"equal buzz goes to the more popular", []store.DailyRow{row(1, 20, 0, 0), row(2, 50, 0, 0)}, []store.DailyRow{row(2, 10, 0, 0)}, []int64{2, 1}}, // 20/10 = 40/20 = 2
		{"favourites count toward the minimum", []store.DailyRow{row(1, 1, 0, 3)}, nil, []int64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(RankBuzz(tc.current, tc.prior, 10)); !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
