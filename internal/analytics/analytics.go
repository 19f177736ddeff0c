// Package analytics records Chorus's first-party events (page views,
// plays, downloads, searches, favourites, follows, shares) durably and in
// batches, and folds them into daily aggregates in which no breakdown cell
// describes fewer than MinListeners people.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"chorus/internal/store"
)

// Kind is what an event records.
type Kind string

// The kinds of events. Favourite, Follow and Share are emitted by the
// community features.
const (
	PageView  Kind = "page_view"
	Play      Kind = "play"
	Download  Kind = "download"
	Search    Kind = "search"
	Favourite Kind = "favourite"
	Follow    Kind = "follow"
	Share     Kind = "share"
)

// ErrBusy is returned by Record when the queue stayed full for the whole
// wait: the database is not keeping up. The web layer answers 503 with
// Retry-After.
var ErrBusy = errors.New("analytics: the event queue is full")

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("analytics: the ingester is closed")

// Options configure an Ingester. Zero values take the defaults.
type Options struct {
	// Queue is how many events may wait for a batch (default 8192): the
	// bound on the memory events take.
	Queue int
	// Batch is the most events one transaction commits (default 2048).
	Batch int
	// Wait is how long Record waits for room in a full queue before
	// giving up with ErrBusy (default 2s).
	Wait   time.Duration
	Logger *slog.Logger
}

// Ingester commits events in batched transactions. One goroutine writes:
// while a batch commits, the next one gathers, so that the commit cost is
// shared by every event that arrived meanwhile (group commit).
type Ingester struct {
	db    *store.DB
	opt   Options
	queue chan pending
	stop  chan struct{}
	done  chan struct{}
	mu    sync.RWMutex // held for reading by senders, for writing by Close
	shut  bool
	// dropped counts events Enqueue refused for want of room.
	dropped atomic.Int64
}

type pending struct {
	ev   store.Event
	done chan error // nil when nobody waits for the commit (Enqueue)
}

// New returns an Ingester writing to db; it runs until Close.
func New(db *store.DB, opt Options) *Ingester {
	if opt.Queue <= 0 {
		opt.Queue = 8192
	}
	if opt.Batch <= 0 {
		opt.Batch = 2048
	}
	if opt.Wait <= 0 {
		opt.Wait = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	in := &Ingester{db: db, opt: opt, queue: make(chan pending, opt.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go in.run()
	return in
}

var donePool = sync.Pool{New: func() any { return make(chan error, 1) }}

// Record queues ev and returns once the transaction holding it committed:
// nil means the event is stored. It returns ErrBusy when the queue stays
// full for Options.Wait, ErrClosed after Close, ctx's error when ctx ends
// first (the event may then still be committed), or the database's error.
func (in *Ingester) Record(ctx context.Context, ev store.Event) error {
	done := donePool.Get().(chan error)
	in.mu.RLock()
	if in.shut {
		in.mu.RUnlock()
		donePool.Put(done)
		return ErrClosed
	}
	select {
	case in.queue <- pending{ev: ev, done: done}:
	default:
		t := time.NewTimer(in.opt.Wait)
		select {
		case in.queue <- pending{ev: ev, done: done}:
			t.Stop()
		case <-t.C:
			in.mu.RUnlock()
			donePool.Put(done)
			return ErrBusy
		case <-ctx.Done():
			t.Stop()
			in.mu.RUnlock()
			donePool.Put(done)
			return ctx.Err()
		}
	}
	in.mu.RUnlock()
	select {
	case err := <-done:
		donePool.Put(done)
		return err
	case <-ctx.Done():
		return ctx.Err() // done is left to the writer, not reused
	}
}

// Enqueue queues ev without waiting for its commit, for events nobody is
// told about (a page view beside its page, a download beside its file):
// the request goes on at once, and the event is committed with the next
// batch. Only acknowledged events (Record) are promised to survive a crash;
// a queued one dies with the process. It never waits: a full queue gives
// ErrBusy, so a slow database costs events, never memory or latency.
// After Close it returns ErrClosed. Events are committed in the order they
// are queued, by Enqueue and Record alike: once a Record returns nil,
// every event queued before it is committed too.
func (in *Ingester) Enqueue(ev store.Event) error {
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.shut {
		return ErrClosed
	}
	select {
	case in.queue <- pending{ev: ev}:
		return nil
	default:
		in.dropped.Add(1)
		return ErrBusy
	}
}

// Dropped is how many events Enqueue refused because the queue was full.
func (in *Ingester) Dropped() int64 { return in.dropped.Load() }

// Close stops taking events, commits every event already queued, and
// returns when the last batch is written.
func (in *Ingester) Close() {
	in.mu.Lock()
	if !in.shut {
		in.shut = true
		close(in.stop)
	}
	in.mu.Unlock()
	<-in.done
}

func (in *Ingester) run() {
	defer close(in.done)
	batch := make([]pending, 0, in.opt.Batch)
	events := make([]store.Event, 0, in.opt.Batch)
	for {
		batch = batch[:0]
		select {
		case p := <-in.queue:
			batch = append(batch, p)
		case <-in.stop:
			// No sender holds the lock any more: what is queued is all.
			for {
				select {
				case p := <-in.queue:
					batch = append(batch, p)
					if len(batch) == cap(batch) {
						in.write(batch, events)
						batch = batch[:0]
					}
				default:
					if len(batch) > 0 {
						in.write(batch, events)
					}
					return
				}
			}
		}
	gather:
		for len(batch) < cap(batch) {
			select {
			case p := <-in.queue:
				batch = append(batch, p)
			default:
				break gather
			}
		}
		in.write(batch, events)
	}
}

// write commits one batch and tells each sender the outcome.
func (in *Ingester) write(batch []pending, events []store.Event) {
	events = events[:0]
	for _, p := range batch {
		events = append(events, p.ev)
	}
	err := in.db.Tx(context.Background(), func(tx *store.Tx) error {
		return tx.InsertEvents(context.Background(), events)
	})
	if err != nil {
		in.opt.Logger.Error("commit analytics events", "count", len(events), "err", err)
		err = fmt.Errorf("record event: %w", err)
	}
	for _, p := range batch {
		if p.done != nil {
			p.done <- err
		}
	}
}
