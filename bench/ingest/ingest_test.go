package ingest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// parallelism is how many clients per CPU send requests at once: events
// are committed in batches, so many requests in flight share a commit.
const parallelism = 64

func newEvent(i int64) store.Event {
	return store.Event{Kind: string(analytics.Play), TrackID: i%seedTracks + 1, ArtistID: (i%seedTracks+1)%50 + 1,
		Referrer: "example.org", Browser: "Firefox", OS: "Linux", Device: "desktop", Network: "192.0.2.0/24",
		VisitorID: fmt.Sprintf("%032x", i%5000), IP: "192.0.2.7"}
}

// seedTracks is how many tracks the events name (newEvent's TrackID).
const seedTracks = 1000

// placeholder is a "?" of a query, which PostgreSQL writes $1, $2, ...
var placeholder = regexp.MustCompile(`\?`)

// seedCatalogue writes the artists and tracks the events name, with
// waveform peaks of their real size (1,000 values as text), so that each
// batch's play counts update real rows as they would on a live site.
func seedCatalogue(b *testing.B, db *store.DB) {
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		if db.Dialect() == store.Postgres { // $1, $2, ... for PostgreSQL
			var n int
			q = placeholder.ReplaceAllStringFunc(q, func(string) string { n++; return fmt.Sprintf("$%d", n) })
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
	peaks := strings.TrimSuffix(strings.Repeat("0.4321,", 1000), ",")
	now := time.Now().UTC()
	for i := 1; i <= 50; i++ {
		exec(`INSERT INTO artists (id, name, name_key, slug, created_at) VALUES (?, ?, ?, ?, ?)`,
			i, fmt.Sprintf("Artist %d", i), fmt.Sprintf("artist %d", i), fmt.Sprintf("artist-%d", i), now)
	}
	for i := 1; i <= seedTracks; i++ {
		exec(`INSERT INTO tracks (id, artist_id, title, status, published, original_key, original_format, original_mime, original_size,
			content_hash, stream_size, licence_id, peaks, created_at, updated_at) VALUES (?, ?, ?, 'ready', TRUE, ?, 'ogg', 'audio/ogg', 4000000, ?, 3000000, 'cc-by-4.0', ?, ?, ?)`,
			i, i%50+1, fmt.Sprintf("Track %d", i), fmt.Sprintf("o/%d", i), fmt.Sprintf("h%d", i), peaks, now, now)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the CPU time (user and system) this process has used: unlike
// wall time it hardly changes when other work shares the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU microseconds per operation since start.
func reportCPU(b *testing.B, start time.Duration, unit string) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(max(b.N, 1)), unit)
}

// hammer sends b.N requests to url from parallel clients.
func hammer(b *testing.B, client *http.Client, url string) {
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(url, "text/plain", nil)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				b.Errorf("%s: %d", url, resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkIngest measures, per database, three things in the same run:
// an empty HTTP request (the baseline), an HTTP request that records one
// event and answers once its batch is committed, and Record called
// directly. It reports events/s and the ratio of an event request's cost
// to an empty request's (1.00 would mean recording is free).
func BenchmarkIngest(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			seedCatalogue(b, db)
			in := analytics.New(db, analytics.Options{})
			defer in.Close()
			var seq atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("POST /empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			mux.HandleFunc("POST /event", func(w http.ResponseWriter, r *http.Request) {
				if err := in.Record(r.Context(), newEvent(seq.Add(1))); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}, Timeout: time.Minute}

			var empty, event time.Duration
			b.Run("empty-request", func(b *testing.B) {
				start, cpu := time.Now(), cpuTime()
				hammer(b, client, srv.URL+"/empty")
				reportCPU(b, cpu, "cpu-us/req")
				empty = time.Since(start) / time.Duration(max(b.N, 1))
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
			b.Run("event-request", func(b *testing.B) {
				before, _ := db.CountEvents(context.Background())
				start, cpu := time.Now(), cpuTime()
				hammer(b, client, srv.URL+"/event")
				reportCPU(b, cpu, "cpu-us/event")
				elapsed := time.Since(start)
				event = elapsed / time.Duration(max(b.N, 1))
				after, _ := db.CountEvents(context.Background())
				if after-before != int64(b.N) {
					b.Errorf("%d events acknowledged, %d committed", b.N, after-before)
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
				if empty > 0 {
					b.ReportMetric(float64(event)/float64(empty), "x-empty-request")
				}
			})
			b.Run("record", func(b *testing.B) {
				start, cpu := time.Now(), cpuTime()
				defer reportCPU(b, cpu, "cpu-us/event")
				b.SetParallelism(parallelism)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					for pb.Next() {
						if err := in.Record(ctx, newEvent(seq.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			})
		})
	}
}
