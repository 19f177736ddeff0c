package ingest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
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
	return store.Event{Kind: string(analytics.Play), TrackID: i%1000 + 1, AlbumID: i%100 + 1, ArtistID: i%50 + 1,
		Referrer: "example.org", Browser: "Firefox", OS: "Linux", Device: "desktop", Network: "192.0.2.0/24",
		VisitorID: fmt.Sprintf("%032x", i%5000), IP: "192.0.2.7"}
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
				start := time.Now()
				hammer(b, client, srv.URL+"/empty")
				empty = time.Since(start) / time.Duration(max(b.N, 1))
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			})
			b.Run("event-request", func(b *testing.B) {
				before, _ := db.CountEvents(context.Background())
				start := time.Now()
				hammer(b, client, srv.URL+"/event")
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
				start := time.Now()
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
