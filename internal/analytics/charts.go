package analytics

import (
	"cmp"
	"slices"

	"chorus/internal/store"
)

// The weights of Popularity: a download or a favourite says more about a
// track than a play, as Jamendo's popularity also counts them above plays.
const (
	DownloadWeight  = 2
	FavouriteWeight = 3
)

// BuzzMinimum is the popularity a subject needs in the period to be in
// the buzz chart, and the damping of its growth: one or two plays after
// none do not make a track rise fastest.
const BuzzMinimum = 10

// Popularity is a subject's score over a period: plays plus weighted
// downloads and favourites.
func Popularity(r store.DailyRow) int64 {
	return r.Plays + DownloadWeight*r.Downloads + FavouriteWeight*r.Favourites
}

// Ranked is one subject of a chart with its score: Popularity, or for
// buzz the popularity of this period and of the previous one.
type Ranked struct {
	SubjectID  int64
	Popularity int64
	Previous   int64   // popularity in the previous period (buzz only)
	Buzz       float64 // (Popularity − Previous) / (Previous + BuzzMinimum)
}

// RankPopular orders totals by Popularity, highest first (ties: the
// subject with more plays, then the lower id), and keeps at most limit.
func RankPopular(totals []store.DailyRow, limit int) []Ranked {
	rows := slices.Clone(totals)
	slices.SortFunc(rows, func(a, b store.DailyRow) int {
		return cmp.Or(cmp.Compare(Popularity(b), Popularity(a)), cmp.Compare(b.Plays, a.Plays), cmp.Compare(a.SubjectID, b.SubjectID))
	})
	var out []Ranked
	for _, r := range rows {
		if len(out) == limit {
			break
		}
		if p := Popularity(r); p > 0 {
			out = append(out, Ranked{SubjectID: r.SubjectID, Popularity: p})
		}
	}
	return out
}

// RankBuzz orders the subjects rising fastest from the previous period to
// the current one: a subject counts when its popularity now is at least
// BuzzMinimum and above the previous period's; its buzz is the growth
// (now − before) / (before + BuzzMinimum), so that a subject from nothing
// to 10 (buzz 1) does not beat one from 100 to 400 (buzz ≈ 2.7). Ties go
// to the higher popularity now, then the lower id. At most limit.
func RankBuzz(current, previous []store.DailyRow, limit int) []Ranked {
	before := make(map[int64]int64, len(previous))
	for _, r := range previous {
		before[r.SubjectID] = Popularity(r)
	}
	var out []Ranked
	for _, r := range current {
		now, was := Popularity(r), before[r.SubjectID]
		if now < BuzzMinimum || now <= was {
			continue
		}
		out = append(out, Ranked{SubjectID: r.SubjectID, Popularity: now, Previous: was,
			Buzz: float64(now-was) / float64(was+BuzzMinimum)})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Buzz, a.Buzz), cmp.Compare(b.Popularity, a.Popularity), cmp.Compare(a.SubjectID, b.SubjectID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
