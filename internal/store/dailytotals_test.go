package store_test

import (
	"context"
	"testing"
	"time"

	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestBreakdownsDescribeListeners: a breakdown value seen only in page
// views is left out of DailyTotals, while the "all" totals keep the views.
func TestBreakdownsDescribeListeners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
		rows := []store.DailyRow{
			{SubjectKind: "artist", SubjectID: 1, Dimension: "all", Views: 40},
			{SubjectKind: "artist", SubjectID: 1, Dimension: "referrer", Value: "views.example.org", Views: 40},
			{SubjectKind: "artist", SubjectID: 1, Dimension: "referrer", Value: "plays.example.org", Plays: 3, Listeners: 2},
			{SubjectKind: "artist", SubjectID: 1, Dimension: "referrer", Value: "downloads.example.org", Downloads: 1},
		}
		if err := db.ReplaceDay(ctx, day, rows); err != nil {
			t.Fatal(err)
		}
		q := store.DailyQuery{SubjectKind: "artist", SubjectID: 1, Dimension: "referrer", From: "2026-05-01", To: "2026-05-31"}
		got, err := db.DailyTotals(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Value != "plays.example.org" || got[1].Value != "downloads.example.org" {
			t.Errorf("referrer breakdown %+v, want plays.example.org then downloads.example.org", got)
		}
		q.Dimension = "all"
		if all, err := db.DailyTotals(ctx, q); err != nil || len(all) != 1 || all[0].Views != 40 {
			t.Errorf("totals %+v (%v), want the 40 views", all, err)
		}
	})
}
