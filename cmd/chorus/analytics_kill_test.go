package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chorus/internal/store/storetest"
)

// TestKillDuringAnalyticsIngestion runs a real server as its own process,
// has thirty-two listeners stream a track and report plays as fast as they
// can, and kills the process with SIGKILL while plays are in flight. Every
// play the server acknowledged (204) must be in the database afterwards,
// counted once in the track's play count too; plays in flight at the kill
// may or may not be, but nothing is stored that was never sent. The
// restarted server counts plays again.
func TestKillDuringAnalyticsIngestion(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			data, dbURL := t.TempDir(), storetest.URL(t, d)
			p := startProc(t, data, dbURL)
			id := publishedTrack(t, p.URL, "steady", "Steady Song")
			track := p.URL + "/tracks/" + strconv.FormatInt(id, 10)

			var acked, sent atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Each listener is its own client: the server tells them apart
					// by address and User-Agent.
					ua := fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", 100+g, 100+g)
					hc := &http.Client{Timeout: 20 * time.Second}
					do := func(method, url string) (int, error) {
						req, _ := http.NewRequest(method, url, nil)
						req.Header.Set("User-Agent", ua)
						resp, err := hc.Do(req)
						if err != nil {
							return 0, err
						}
						defer resp.Body.Close()
						if _, err := io.Copy(io.Discard, resp.Body); err != nil {
							return 0, err
						}
						return resp.StatusCode, nil
					}
					for {
						select {
						case <-stop:
							return
						default:
						}
						if code, err := do(http.MethodGet, track+"/stream"); err != nil || code != http.StatusOK {
							return // the server is gone
						}
						sent.Add(1)
						code, err := do(http.MethodPost, track+"/play")
						if err != nil {
							return
						}
						switch code {
						case http.StatusNoContent:
							acked.Add(1)
						case http.StatusServiceUnavailable: // busy: not acknowledged, may retry
						default:
							t.Errorf("play report answered %d", code)
							return
						}
					}
				}()
			}
			waitFor(t, "plays to be acknowledged", 60*time.Second, func() bool { return acked.Load() >= 300 })
			p.kill(t)
			close(stop)
			wg.Wait()
			ackedAtKill, sentAtKill := acked.Load(), sent.Load()

			db := openStore(t, dbURL)
			ctx := context.Background()
			count := func(q string) int64 {
				t.Helper()
				v, err := db.Strings(ctx, q, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(v) == 0 {
					return 0
				}
				n, _ := strconv.ParseInt(v[0], 10, 64)
				return n
			}
			stored := count(`SELECT CAST(COUNT(*) AS TEXT) FROM analytics_events WHERE kind = 'play' AND track_id = ?`)
			counted := count(`SELECT CAST(plays AS TEXT) FROM track_plays WHERE track_id = ?`)
			t.Logf("%d plays acknowledged, %d sent, %d stored when the server was killed", ackedAtKill, sentAtKill, stored)
			if stored < ackedAtKill {
				t.Errorf("%d plays were acknowledged but only %d are stored", ackedAtKill, stored)
			}
			if stored > sentAtKill {
				t.Errorf("%d plays are stored but only %d were sent", stored, sentAtKill)
			}
			if counted != stored {
				t.Errorf("the track's play count is %d for %d stored plays", counted, stored)
			}
			db.Close()

			// The restarted server takes plays again.
			p2 := startProc(t, data, dbURL)
			c := newClient(t, p2.URL)
			if resp, _ := c.get("/tracks/" + strconv.FormatInt(id, 10) + "/stream"); resp.StatusCode != http.StatusOK {
				t.Fatalf("stream after restart: %d", resp.StatusCode)
			}
			if resp, body := c.postForm("/tracks/"+strconv.FormatInt(id, 10)+"/play", nil); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("play after restart: %d %s", resp.StatusCode, body)
			}
			db = openStore(t, dbURL)
			if after := count(`SELECT CAST(COUNT(*) AS TEXT) FROM analytics_events WHERE kind = 'play' AND track_id = ?`); after != stored+1 {
				t.Errorf("after restart %d plays stored, want %d", after, stored+1)
			}
		})
	}
}
