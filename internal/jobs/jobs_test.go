package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"chorus/internal/jobs"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// flaky fails the first attempt of every track with a transient error and
// succeeds on the next, recording what it saw.
type flaky struct {
	mu       sync.Mutex
	attempts map[int64][]int
	done     chan int64
}

func (f *flaky) ProcessTrack(ctx context.Context, id int64, attempt int, final bool) error {
	f.mu.Lock()
	f.attempts[id] = append(f.attempts[id], attempt)
	f.mu.Unlock()
	if attempt == 1 {
		return fmt.Errorf("transient trouble on attempt %d", attempt)
	}
	f.done <- id
	return nil
}

func insertTrack(ctx context.Context, tx *store.Tx, hash string) (int64, error) {
	a, _, err := tx.EnsureArtist(ctx, "Queue Tester")
	if err != nil {
		return 0, err
	}
	return tx.InsertTrack(ctx, store.NewTrack{ArtistID: a.ID, Title: hash, OriginalKey: "k/" + hash,
		OriginalFormat: "flac", OriginalMIME: "audio/flac", ContentHash: hash})
}

func TestJobsAreTransactionalAndRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		proc := &flaky{attempts: map[int64][]int{}, done: make(chan int64, 4)}
		q, err := jobs.New(db, jobs.Config{Workers: 2, JobTimeout: time.Minute, Processor: proc})
		if err != nil {
			t.Fatal(err)
		}

		// A change that rolls back takes its job with it.
		rollback := errors.New("changed my mind")
		err = db.Tx(ctx, func(tx *store.Tx) error {
			id, err := insertTrack(ctx, tx, "rolled-back")
			if err != nil {
				return err
			}
			if err := q.EnqueueProcessTrack(ctx, tx, id); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if list, err := q.List(ctx, nil, 10); err != nil || len(list) != 0 {
			t.Fatalf("jobs after a rolled-back change: %v %v", list, err)
		}

		var id int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if id, err = insertTrack(ctx, tx, "kept"); err != nil {
				return err
			}
			return q.EnqueueProcessTrack(ctx, tx, id)
		}); err != nil {
			t.Fatal(err)
		}
		// Enqueueing twice while one waits adds nothing (unique by track).
		if err := db.Tx(ctx, func(tx *store.Tx) error { return q.EnqueueProcessTrack(ctx, tx, id) }); err != nil {
			t.Fatal(err)
		}
		if list, _ := q.List(ctx, nil, 10); len(list) != 1 {
			t.Fatalf("%d jobs for one track, want 1", len(list))
		}

		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = q.Stop(stop)
		}()
		select {
		case got := <-proc.done:
			if got != id {
				t.Fatalf("processed track %d, want %d", got, id)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the job was not retried")
		}
		proc.mu.Lock()
		attempts := proc.attempts[id]
		proc.mu.Unlock()
		if len(attempts) != 2 || attempts[0] != 1 || attempts[1] != 2 {
			t.Fatalf("attempts %v, want [1 2]", attempts)
		}
		// The failed attempt's error stays visible on the job.
		var list []jobs.JobInfo
		for range 100 {
			list, _ = q.List(ctx, []string{"completed"}, 10)
			if len(list) == 1 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(list) != 1 || list[0].LastError != "transient trouble on attempt 1" || list[0].Attempt != 2 {
			t.Fatalf("completed job: %+v", list)
		}
	})
}

// A process that cannot send mail (chorus import) works only the track
// queue: a send job waits for a process that can.
func TestMailJobsWaitForAMailer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		inserter, err := jobs.New(db, jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return inserter.EnqueueSendMail(ctx, tx, 42) }); err != nil {
			t.Fatal(err)
		}
		proc := &flaky{attempts: map[int64][]int{}, done: make(chan int64, 4)}
		q, err := jobs.New(db, jobs.Config{Workers: 2, JobTimeout: time.Minute, Processor: proc})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // several fetch rounds
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = q.Stop(stop)
		list, err := q.List(ctx, nil, 10)
		if err != nil || len(list) != 1 || list[0].Kind != "send_mail" || list[0].State != "available" || list[0].Attempt != 0 {
			t.Fatalf("send job after a queue without a mailer ran: %+v %v", list, err)
		}

		// A queue with a mailer delivers it.
		got := make(chan int64, 1)
		mq, err := jobs.New(db, jobs.Config{Workers: 1, JobTimeout: time.Minute, Processor: proc, Mailer: mailerFunc(func(id int64) { got <- id })})
		if err != nil {
			t.Fatal(err)
		}
		if err := mq.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = mq.Stop(stop)
		}()
		select {
		case id := <-got:
			if id != 42 {
				t.Fatalf("delivered outbox message %d, want 42", id)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the mail queue did not run the send job")
		}
	})
}

type mailerFunc func(id int64)

func (f mailerFunc) SendMail(_ context.Context, id int64, _ int, _ bool) error {
	f(id)
	return nil
}

type processorFunc func(id int64)

func (f processorFunc) ProcessTrack(_ context.Context, id int64, _ int, _ bool) error {
	f(id)
	return nil
}

// A finished job does not stop a new one for the same track id: SQLite
// gives a new track the id of a deleted one, and it must be processed.
func TestTrackIsProcessedAgainAfterItsJobFinished(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		got := make(chan int64, 4)
		q, err := jobs.New(db, jobs.Config{Workers: 1, JobTimeout: time.Minute, Processor: processorFunc(func(id int64) { got <- id })})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = q.Stop(stop)
		}()
		var id int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			if id, err = insertTrack(ctx, tx, "reused"); err != nil {
				return err
			}
			return q.EnqueueProcessTrack(ctx, tx, id)
		}); err != nil {
			t.Fatal(err)
		}
		for round := 1; round <= 2; round++ {
			select {
			case processed := <-got:
				if processed != id {
					t.Fatalf("round %d: processed track %d, want %d", round, processed, id)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("round %d: track %d was not processed", round, id)
			}
			var list []jobs.JobInfo
			for range 200 {
				if list, _ = q.List(ctx, []string{"completed"}, 10); len(list) == round {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(list) != round {
				t.Fatalf("round %d: %d completed jobs, want %d", round, len(list), round)
			}
			if round == 1 {
				if err := db.Tx(ctx, func(tx *store.Tx) error { return q.EnqueueProcessTrack(ctx, tx, id) }); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
