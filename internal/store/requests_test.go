package store_test

import (
	"context"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// TestAccessLogIsAppendOnly writes entries to the access log and a
// request's history, and checks that the database refuses to change
// either, and to delete access log entries younger than the 3 years they
// are kept for; the retention sweep deletes only what is older.
func TestAccessLogIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var req store.Request
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if req, err = tx.CreateRequest(ctx, store.NewRequest{Kind: chorus.RequestAccess, Email: "a@example.org", Body: "what do you hold?"}); err != nil {
				return err
			}
			return tx.LogAccess(ctx, store.Access{ActorID: 1, Action: store.AccessViewed, SubjectID: 2, What: "a profile", Reason: "a report"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if req.DueAt.IsZero() || !req.DueAt.Equal(chorus.RequestDeadline(req.ReceivedAt, 0)) {
			t.Errorf("deadline %v for a request received %v", req.DueAt, req.ReceivedAt)
		}
		if err := db.LogAccess(ctx, store.Access{ActorID: 1, Action: store.AccessViewed, What: "x"}); err == nil {
			t.Error("an access without a reason was logged")
		}
		for _, q := range []string{
			`UPDATE access_log SET reason = 'none'`,
			`DELETE FROM access_log`,
			`UPDATE request_events SET body = 'rewritten'`,
		} {
			if _, err := db.SQL().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		if got, err := db.AccessesTo(ctx, 2); err != nil || len(got) != 1 || got[0].Reason != "a report" {
			t.Fatalf("access log after the attempts: %+v %v", got, err)
		}

		// Entries older than 3 years go with the retention sweep, and only they.
		old := time.Now().UTC().AddDate(-4, 0, 0)
		q := `INSERT INTO access_log (created_at, actor_id, action, subject_id, what, reason) VALUES (?, 1, 'viewed', 2, 'old', 'old')`
		if db.Dialect() == store.Postgres {
			q = `INSERT INTO access_log (created_at, actor_id, action, subject_id, what, reason) VALUES ($1, 1, 'viewed', 2, 'old', 'old')`
		}
		if _, err := db.SQL().ExecContext(ctx, q, old); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return tx.SetRequestStatus(ctx, req.ID, 1, chorus.RequestClosed) }); err != nil {
			t.Fatal(err)
		}
		n, err := db.DeleteExpiredProof(ctx, time.Now())
		if err != nil || n != 1 {
			t.Fatalf("sweep now: %d rows, %v; want the one old entry", n, err)
		}
		if got, _ := db.AccessesTo(ctx, 2); len(got) != 1 {
			t.Errorf("%d entries left, want the recent one", len(got))
		}
		n, err = db.DeleteExpiredProof(ctx, time.Now().AddDate(3, 1, 0))
		if err == nil {
			t.Errorf("the sweep deleted %d rows younger than 3 years by the database's clock", n)
		}
	})
}
