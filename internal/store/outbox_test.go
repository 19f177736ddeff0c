package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		ana := mustMember(t, db, "ana", "hash")
		queue := func(member int64, to string) (int64, error) {
			var id int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				id, err = tx.InsertOutbox(ctx, store.NewOutboxMessage{MemberID: member, To: to, Template: "verify_email",
					Subject: "Confirm", Body: []byte("Subject: Confirm\r\n\r\nsecret link")})
				return err
			})
			return id, err
		}

		// A change that rolls back takes its message with it.
		rollback := errors.New("changed my mind")
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.InsertOutbox(ctx, store.NewOutboxMessage{To: "x@example.org", Template: "t", Subject: "s", Body: []byte("b")}); err != nil {
				return err
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if _, n, err := db.Outbox(ctx, 10, 0); err != nil || n != 0 {
			t.Fatalf("outbox after rollback: %d %v", n, err)
		}

		var ids []int64
		for i := range 3 {
			member := ana.ID
			if i == 2 {
				member = 0
			}
			id, err := queue(member, fmt.Sprintf("to%d@example.org", i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
			now = now.Add(time.Minute)
		}
		m, err := db.OutboxMessage(ctx, ids[0])
		if err != nil || string(m.Body) != "Subject: Confirm\r\n\r\nsecret link" || m.MemberID != ana.ID || m.Status() != store.OutboxQueued {
			t.Fatalf("queued message: %+v %v", m, err)
		}
		if m, _ := db.OutboxMessage(ctx, ids[2]); m.MemberID != 0 {
			t.Fatalf("message with no member: member %d", m.MemberID)
		}
		if _, err := db.OutboxMessage(ctx, 9999); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("missing message: %v", err)
		}

		// A failed attempt keeps the body for the next; giving up clears it.
		if err := db.MarkOutboxFailed(ctx, ids[0], "451 try later", false); err != nil {
			t.Fatal(err)
		}
		if m, _ := db.OutboxMessage(ctx, ids[0]); m.Status() != store.OutboxRetrying || m.Attempts != 1 || m.LastError != "451 try later" || len(m.Body) == 0 {
			t.Fatalf("after a failed attempt: %+v", m)
		}
		if err := db.MarkOutboxSent(ctx, ids[0], "20300501T120000Z-1.eml"); err != nil {
			t.Fatal(err)
		}
		if m, _ := db.OutboxMessage(ctx, ids[0]); m.Status() != store.OutboxSent || !m.SentAt.Equal(now) || m.Attempts != 2 ||
			m.LastError != "" || len(m.Body) != 0 || m.EMLKey != "20300501T120000Z-1.eml" {
			t.Fatalf("after sending: %+v", m)
		}
		if err := db.MarkOutboxFailed(ctx, ids[1], "550 no such user", true); err != nil {
			t.Fatal(err)
		}
		if m, _ := db.OutboxMessage(ctx, ids[1]); m.Status() != store.OutboxFailed || len(m.Body) != 0 || m.LastError != "550 no such user" {
			t.Fatalf("after giving up: %+v", m)
		}
		if err := db.MarkOutboxSent(ctx, 9999, ""); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("sent of a missing message: %v", err)
		}

		// Newest first, in pages.
		page, total, err := db.Outbox(ctx, 2, 0)
		if err != nil || total != 3 || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] || page[0].Body != nil {
			t.Fatalf("first page: %+v total %d %v", page, total, err)
		}
		page, _, err = db.Outbox(ctx, 2, 2)
		if err != nil || len(page) != 1 || page[0].ID != ids[0] || page[0].To != "to0@example.org" {
			t.Fatalf("second page: %+v %v", page, err)
		}
	})
}
