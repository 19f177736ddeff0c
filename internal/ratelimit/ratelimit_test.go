package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/ratelimit"
	"chorus/internal/store"
	"chorus/internal/store/storetest"
)

// clock is a time that only moves when the test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T, db *store.DB) (*ratelimit.Limiter, *clock) {
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	db.SetClock(c.Now)
	return ratelimit.New(db), c
}

// waitOf returns the wait of a *TooManyError, 0 for nil, and fails on
// another error.
func waitOf(t *testing.T, err error) time.Duration {
	t.Helper()
	var tm *ratelimit.TooManyError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &tm):
		return tm.Wait
	}
	t.Fatalf("attempt: %v", err)
	return 0
}

func TestRuleWait(t *testing.T) {
	r := ratelimit.Rule{Free: 3, Base: time.Second, Max: 10 * time.Second}
	for attempts, want := range []time.Duration{0, 0, 0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := r.Wait(attempts); got != want {
			t.Errorf("Wait(%d) = %v, want %v", attempts, got, want)
		}
	}
	// Far past the cap, doubling stops instead of overflowing.
	if got := ratelimit.PerAddress.Wait(10_000); got != 15*time.Minute {
		t.Errorf("Wait(10000) = %v, want the cap", got)
	}
}

func TestTooManyErrorMessage(t *testing.T) {
	for _, c := range []struct {
		wait    time.Duration
		secs    int
		message string
	}{
		{300 * time.Millisecond, 1, "Too many attempts. Please wait 1 second and try again."},
		{4 * time.Second, 4, "Too many attempts. Please wait 4 seconds and try again."},
		{4*time.Second + time.Millisecond, 5, "Too many attempts. Please wait 5 seconds and try again."},
		{15 * time.Minute, 900, "Too many attempts. Please wait 15 minutes and try again."},
	} {
		e := &ratelimit.TooManyError{Wait: c.wait}
		if e.Seconds() != c.secs || e.Error() != c.message {
			t.Errorf("wait %v: %d %q", c.wait, e.Seconds(), e.Error())
		}
	}
}

func TestGrowingWaits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, clk := setup(t, db)
		acct := ratelimit.Key{Name: "login:member:1", Rule: ratelimit.PerAccount}
		// Five free attempts, the fifth included.
		for i := range 5 {
			if err := l.Attempt(ctx, acct); err != nil {
				t.Fatalf("free attempt %d: %v", i+1, err)
			}
		}
		// The sixth is allowed and sets a wait of 1 s; then 2 s, 4 s, ...
		for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
			want *= time.Second
			if err := l.Attempt(ctx, acct); err != nil {
				t.Fatalf("attempt after the wait: %v", err)
			}
			if got := waitOf(t, l.Attempt(ctx, acct)); got != want {
				t.Fatalf("wait = %v, want %v", got, want)
			}
			if w, err := l.Wait(ctx, acct.Name); err != nil || w != want {
				t.Fatalf("Wait = %v, %v; want %v", w, err, want)
			}
			clk.Advance(want - time.Millisecond)
			if got := waitOf(t, l.Attempt(ctx, acct)); got != time.Millisecond {
				t.Fatalf("just before the end of the wait: %v", got)
			}
			clk.Advance(time.Millisecond)
		}
		// Refused attempts are not counted: the count is 13 (5 free + 8).
		rl, err := db.RateLimit(ctx, acct.Name)
		if err != nil || rl.Failures != 13 {
			t.Fatalf("counter %+v, %v; want 13 attempts", rl, err)
		}
		// A success clears the account.
		if err := l.Reset(ctx, acct.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RateLimit(ctx, acct.Name); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("after reset: %v", err)
		}
		if w, err := l.Wait(ctx, acct.Name); w != 0 || err != nil {
			t.Fatalf("wait after reset: %v, %v", w, err)
		}
	})
}

func TestCountersExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, clk := setup(t, db)
		k := ratelimit.Key{Name: "signup:ip:192.0.2.1", Rule: ratelimit.Rule{Free: 1, Base: time.Minute, Max: time.Hour}}
		_ = l.Attempt(ctx, k)
		_ = l.Attempt(ctx, k) // count 2: wait 1 minute
		if waitOf(t, l.Attempt(ctx, k)) != time.Minute {
			t.Fatal("no wait")
		}
		// An hour after the wait ended, the counter starts again from zero:
		// the next attempt is free again.
		clk.Advance(time.Minute + ratelimit.Forget + time.Second)
		if err := l.Attempt(ctx, k); err != nil {
			t.Fatal(err)
		}
		rl, _ := db.RateLimit(ctx, k.Name)
		if rl.Failures != 1 || !rl.WindowStart.Equal(clk.Now()) {
			t.Fatalf("after expiry: %+v, want a fresh count of 1 starting now", rl)
		}
		// Expired counters (they hold client addresses) are deleted by the
		// next attempt on any key.
		clk.Advance(ratelimit.Forget + time.Minute)
		if err := l.Attempt(ctx, ratelimit.Key{Name: "other", Rule: ratelimit.PerAddress}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RateLimit(ctx, k.Name); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("expired counter kept: %v", err)
		}
		// Sweep, run by the server every few minutes, deletes expired
		// counters even when nobody tries anything.
		clk.Advance(ratelimit.Forget + time.Second)
		if n, err := l.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("Sweep deleted %d, %v; want the one counter left", n, err)
		}
		if n, err := l.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("second Sweep deleted %d, %v", n, err)
		}
	})
}

// TestAllOrNothing checks that an attempt refused by one key counts on no
// key: an attacker whose address is waiting does not add to the account's
// count, so the owner is not slowed down further.
func TestAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, _ := setup(t, db)
		ip := ratelimit.Key{Name: "login:ip:198.51.100.9", Rule: ratelimit.Rule{Free: 1, Base: time.Minute, Max: time.Hour}}
		acct := ratelimit.Key{Name: "login:member:7", Rule: ratelimit.PerAccount}
		_ = l.Attempt(ctx, ip, acct)
		_ = l.Attempt(ctx, ip, acct) // ip now waits
		for range 10 {
			if waitOf(t, l.Attempt(ctx, acct, ip)) != time.Minute {
				t.Fatal("the address's wait was not applied")
			}
		}
		rl, err := db.RateLimit(ctx, acct.Name)
		if err != nil || rl.Failures != 2 {
			t.Fatalf("account counter %+v, %v; want 2 (refused attempts not counted)", rl, err)
		}
		// The same key twice counts once.
		if err := l.Attempt(ctx, acct, acct); err != nil {
			t.Fatal(err)
		}
		if rl, _ := db.RateLimit(ctx, acct.Name); rl.Failures != 3 {
			t.Fatalf("duplicate key counted %d times", rl.Failures-2)
		}
	})
}

func TestForgive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, clk := setup(t, db)
		k := ratelimit.Key{Name: "login:ip:203.0.113.5", Rule: ratelimit.Rule{Free: 2, Base: 10 * time.Second, Max: time.Hour}}
		// Many people behind one address log in successfully: each success
		// takes its count back, so the address never waits.
		for range 50 {
			if err := l.Attempt(ctx, k); err != nil {
				t.Fatalf("a successful login was slowed down: %v", err)
			}
			if err := l.Forgive(ctx, k); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
		}
		// Three failures: the third sets a 10 s wait. A success forgives
		// one attempt and its wait.
		for range 3 {
			_ = l.Attempt(ctx, k)
		}
		if waitOf(t, l.Attempt(ctx, k)) != 10*time.Second {
			t.Fatal("no wait after the third failure")
		}
		if err := l.Forgive(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := l.Attempt(ctx, k); err != nil {
			t.Fatalf("after forgiving, the count is 2 (free): %v", err)
		}
		// Forgiving an unknown key does nothing.
		if err := l.Forgive(ctx, ratelimit.Key{Name: "nobody", Rule: k.Rule}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RateLimit(ctx, "nobody"); !errors.Is(err, chorus.ErrNotFound) {
			t.Fatalf("forgive created a counter: %v", err)
		}
	})
}

// TestConcurrentAttempts fires parallel attempts at one key: each is
// counted exactly once, so a burst cannot slip past the count.
func TestConcurrentAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, _ := setup(t, db)
		k := ratelimit.Key{Name: "code:member:3", Rule: ratelimit.Rule{Free: 4, Base: time.Minute, Max: time.Hour}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed, refused := 0, 0
		for range 20 {
			wg.Go(func() {
				err := l.Attempt(ctx, k)
				var tm *ratelimit.TooManyError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					allowed++
				case errors.As(err, &tm):
					refused++
				default:
					t.Errorf("attempt: %v", err)
				}
			})
		}
		wg.Wait()
		// Four free attempts and a fifth that starts the wait.
		if allowed != 5 || refused != 15 {
			t.Fatalf("allowed %d, refused %d; want 5 and 15", allowed, refused)
		}
	})
}
