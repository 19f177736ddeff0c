package privacy

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"chorus/internal/analytics"
	"chorus/internal/chorus"
	"chorus/internal/datamap"
	"chorus/internal/erasure"
	"chorus/internal/export"
	"chorus/internal/files"
	"chorus/internal/publishing"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// size is how much one member has done.
type size struct {
	name                   string
	events, comments, trks int
}

var (
	light = size{name: "light", events: 100, comments: 10, trks: 1}
	heavy = size{name: "heavy", events: 100_000, comments: 1_000, trks: 100}
)

// originalBytes is the size of each stored original: small, so that the
// figures are about walking the data rather than copying audio.
const originalBytes = 32 << 10

// site is a database and file store with one bystander's track for the
// members to comment on.
type site struct {
	db      *store.DB
	files   *files.Store
	trackID int64
	logger  *slog.Logger
}

func newSite(b *testing.B, d store.Dialect) *site {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, d)
	fs, err := files.Open(ctx, "file://"+filepath.ToSlash(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	s := &site{db: db, files: fs, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	owner := s.member(b, "bystander", 1)
	s.trackID = owner.tracks[0]
	return s
}

// seeded is a member made by site.member.
type seeded struct {
	subject datamap.Subject
	tracks  []int64
}

// member creates a member with an artist, n tracks (each with a stored
// original), and nothing else.
func (s *site) member(b *testing.B, username string, n int) seeded {
	b.Helper()
	ctx := context.Background()
	var out seeded
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		m, err := tx.CreateMember(ctx, store.NewMember{Email: username + "@example.org", Username: username, EmailVerified: true})
		if err != nil {
			return err
		}
		out.subject = datamap.Subject{ID: m.ID, Email: m.Email, Username: m.Username}
		a, err := tx.CreateArtist(ctx, chorus.Artist{MemberID: m.ID, Name: username + " band"})
		if err != nil {
			return err
		}
		for i := range n {
			key := fmt.Sprintf("tracks/%s-%d/original.ogg", username, i)
			id, err := tx.InsertTrack(ctx, store.NewTrack{ArtistID: a.ID, Title: fmt.Sprintf("Track %d", i), AlbumTitle: "Album",
				OriginalKey: key, OriginalFormat: "ogg", OriginalMIME: "audio/ogg", OriginalSize: originalBytes,
				OriginalName: fmt.Sprintf("track-%d.ogg", i), ContentHash: fmt.Sprintf("%s-%d", username, i), Duration: 3 * time.Minute})
			if err != nil {
				return err
			}
			out.tracks = append(out.tracks, id)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	blob := make([]byte, originalBytes)
	rand.Read(blob)
	for i := range n {
		if err := s.files.Put(ctx, fmt.Sprintf("tracks/%s-%d/original.ogg", username, i), bytes.NewReader(blob), "audio/ogg"); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// active creates a member of size z: its tracks, its listening events
// (spread over the last year) and its comments.
func (s *site) active(b *testing.B, username string, z size) seeded {
	b.Helper()
	ctx := context.Background()
	m := s.member(b, username, z.trks)
	start := time.Now().Add(-365 * 24 * time.Hour)
	const batch = 2_000
	for done := 0; done < z.events; done += batch {
		events := make([]store.Event, 0, batch)
		for i := done; i < min(done+batch, z.events); i++ {
			events = append(events, store.Event{Time: start.Add(time.Duration(i) * 300 * time.Millisecond), Kind: string(analytics.Play),
				TrackID: s.trackID, Referrer: "example.net", Browser: "Firefox", OS: "Linux", Device: "desktop",
				Network: "192.0.2.0/24", MemberID: m.subject.ID})
		}
		if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertEvents(ctx, events) }); err != nil {
			b.Fatal(err)
		}
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for i := range z.comments {
			if _, err := tx.AddComment(ctx, m.subject.ID, chorus.Target{Kind: chorus.OnTrack, ID: s.trackID}, 0,
				fmt.Sprintf("Comment number %d by %s: a few words about this track, as people write them.", i, username)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// peakLiveHeap runs fn and returns the largest live heap (what the
// garbage collector found reachable, "/gc/heap/live:bytes") seen while it
// ran, above the live heap before it. It collects garbage every 5 ms to
// look, so fn runs slower: time it apart.
func peakLiveHeap(fn func() error) (uint64, error) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 { runtime.GC(); metrics.Read(sample); return sample[0].Value.Uint64() }
	base := live()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				peak = max(peak, live())
			}
		}
	}()
	err := fn()
	close(stop)
	wg.Wait()
	if peak < base {
		return 0, err
	}
	return peak - base, err
}

// cpuTime is the CPU time (user and system) this process has used: unlike
// wall time, it hardly changes when other work shares the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExport measures, per database, the export of a light member
// (100 listening events, 10 comments, 1 track) and of a heavy one (100,000
// events, 1,000 comments, 100 tracks) in the same run: seconds per export
// and the peak of live heap while it is written (measured in runs apart,
// which collect garbage every 5 ms to see it), and for the heavy member
// both as ratios to the light one's. The ZIP goes to a file, as the export
// job writes it.
func BenchmarkExport(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			s := newSite(b, d)
			svc := &export.Service{DB: s.db, Files: s.files, Logger: s.logger}
			members := map[string]seeded{}
			for _, z := range []size{light, heavy} {
				members[z.name] = s.active(b, z.name, z)
			}
			type result struct {
				perOp time.Duration
				cpu   time.Duration
				peak  uint64
				size  int64
			}
			results := map[string]result{}
			for _, z := range []size{light, heavy} {
				b.Run(z.name, func(b *testing.B) {
					var zipSize int64
					out := filepath.Join(b.TempDir(), "export.zip")
					write := func() error {
						f, err := os.Create(out)
						if err != nil {
							return err
						}
						defer f.Close()
						return svc.Write(context.Background(), f, members[z.name].subject)
					}
					b.ResetTimer()
					start, cpuStart := time.Now(), cpuTime()
					for range b.N {
						if err := write(); err != nil {
							b.Fatal(err)
						}
					}
					elapsed, cpu := time.Since(start), cpuTime()-cpuStart
					b.StopTimer()
					// Memory apart from time: the peak of several runs, so
					// that a short export is looked at while it runs too.
					var peak uint64
					for range 5 {
						p, err := peakLiveHeap(write)
						if err != nil {
							b.Fatal(err)
						}
						peak = max(peak, p)
					}
					if fi, err := os.Stat(out); err == nil {
						zipSize = fi.Size()
					}
					r := result{perOp: elapsed / time.Duration(b.N), cpu: cpu / time.Duration(b.N), peak: peak, size: zipSize}
					results[z.name] = r
					b.ReportMetric(r.perOp.Seconds(), "s/export")
					b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/export")
					b.ReportMetric(float64(r.peak)/(1<<20), "MB-peak-live-heap")
					b.ReportMetric(float64(r.size)/(1<<20), "MB-zip")
					if l, ok := results[light.name]; ok && z.name == heavy.name && l.perOp > 0 && l.peak > 0 {
						b.ReportMetric(float64(r.perOp)/float64(l.perOp), "x-light-time")
						b.ReportMetric(float64(r.cpu)/float64(max(l.cpu, 1)), "x-light-cpu")
						b.ReportMetric(float64(r.peak)/float64(l.peak), "x-light-peak-live-heap")
					}
				})
			}
		})
	}
}

// BenchmarkErase measures, per database, the erasure of a heavy member
// against a light one's in the same run. Each round seeds a new member
// (not timed) and erases it.
func BenchmarkErase(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			s := newSite(b, d)
			svc := &erasure.Service{DB: s.db, Files: s.files, Logger: s.logger,
				Tracks: &publishing.Service{DB: s.db, Files: s.files, Logger: s.logger}}
			var lightPerOp time.Duration
			for _, z := range []size{light, heavy} {
				b.Run(z.name, func(b *testing.B) {
					var total time.Duration
					for i := range b.N {
						b.StopTimer()
						m := s.active(b, fmt.Sprintf("%s%d", z.name, i), z)
						b.StartTimer()
						start := time.Now()
						if _, err := svc.Erase(context.Background(), m.subject.ID); err != nil {
							b.Fatal(err)
						}
						total += time.Since(start)
						b.StopTimer()
						var left int
						q := `SELECT COUNT(*) FROM analytics_events WHERE member_id = ?`
						if s.db.Dialect() == store.Postgres {
							q = `SELECT COUNT(*) FROM analytics_events WHERE member_id = $1`
						}
						if err := s.db.SQL().QueryRow(q, m.subject.ID).Scan(&left); err != nil || left != 0 {
							b.Fatalf("events left linked after erasure: %d %v", left, err)
						}
					}
					perOp := total / time.Duration(b.N)
					b.ReportMetric(perOp.Seconds(), "s/erasure")
					if z.name == light.name {
						lightPerOp = perOp
					} else if lightPerOp > 0 {
						b.ReportMetric(float64(perOp)/float64(lightPerOp), "x-light-time")
					}
				})
			}
		})
	}
}
