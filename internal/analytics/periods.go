package analytics

import (
	"context"
	"errors"
	"time"

	"chorus/internal/store"
)

// DashboardPeriods are the preset periods of the dashboards' period
// picker, each ending today.
var DashboardPeriods = []string{"7d", "30d", "12m"}

// ChartPeriods are the periods of the charts.
var ChartPeriods = []string{"week", "month", "all"}

// DashboardPeriod returns the first and last day (UTC midnights) of the
// dashboard preset key ("7d", "30d" or "12m") shown on today: the last 7
// or 30 days, today included, or the last 12 calendar months, this month
// (up to today) included and starting on the first day of the month 11
// months back, so that a dashboard drawn by month has exactly 12 months.
// ok is false for any other key.
func DashboardPeriod(key string, today time.Time) (from, to time.Time, ok bool) {
	today = today.UTC().Truncate(24 * time.Hour)
	switch key {
	case "7d":
		return today.AddDate(0, 0, -6), today, true
	case "30d":
		return today.AddDate(0, 0, -29), today, true
	case "12m":
		return time.Date(today.Year(), today.Month()-11, 1, 0, 0, 0, 0, time.UTC), today, true
	}
	return time.Time{}, today, false
}

// ChartDays returns the days of the chart period key ("week", "month",
// anything else for all time) and of the period before it ("" when there
// is none), as YYYY-MM-DD, shown on today (UTC): the last 7 or 30
// finished days, compared with the 7 or 30 before, or every day up to
// yesterday.
func ChartDays(key string, today time.Time) (from, to, prevFrom, prevTo string) {
	today = today.UTC().Truncate(24 * time.Hour)
	last := today.AddDate(0, 0, -1) // days are rolled up once finished
	day := func(t time.Time) string { return t.Format(store.DayFormat) }
	switch key {
	case "week", "month":
		n := 7
		if key == "month" {
			n = 30
		}
		first := last.AddDate(0, 0, 1-n)
		return day(first), day(last), day(first.AddDate(0, 0, -n)), day(first.AddDate(0, 0, -1))
	}
	return "0000-01-01", day(last), "", ""
}

// SitePeriods returns the periods whose subject totals the site shows on
// today (UTC) without a custom choice: the dashboard presets, and the
// chart periods with the periods they are compared with. Maintain keeps
// exactly these precomputed.
func SitePeriods(today time.Time) []store.Period {
	var out []store.Period
	add := func(from, to string) {
		for _, p := range out {
			if p.From == from && p.To == to {
				return
			}
		}
		out = append(out, store.Period{From: from, To: to})
	}
	for _, key := range DashboardPeriods {
		from, to, _ := DashboardPeriod(key, today)
		add(from.Format(store.DayFormat), to.Format(store.DayFormat))
	}
	for _, key := range ChartPeriods {
		from, to, prevFrom, prevTo := ChartDays(key, today)
		add(from, to)
		if prevFrom != "" {
			add(prevFrom, prevTo)
		}
	}
	return out
}

// PrecomputePeriods makes the precomputed totals match SitePeriods(today):
// it computes each period not listed as current (new, or holding a day
// rolled up again since; see store.ComputePeriodTotals), and deletes the
// totals of periods no longer shown. A period whose days keep being
// rolled up again while it is summed is left to the next run. It returns
// how many periods it computed.
func PrecomputePeriods(ctx context.Context, db *store.DB, today time.Time) (int, error) {
	want := SitePeriods(today)
	have, err := db.PrecomputedPeriods(ctx)
	if err != nil {
		return 0, err
	}
	current := map[store.Period]bool{}
	for _, p := range have {
		current[p] = true
	}
	if err := db.KeepPeriodTotals(ctx, want); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range want {
		if current[p] {
			continue
		}
		if err := db.ComputePeriodTotals(ctx, p); errors.Is(err, store.ErrPeriodChanged) {
			continue // days still being rolled up: the next run sums it
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
