// Package ratelimit slows down guessing: logins, sign-ups, second-factor
// codes, password resets and email verifications. It answers OWASP ASVS 5.0
// V6.1.1 and V6.3.1 (controls against credential stuffing and password brute
// force, documented, and not usable to lock the owner out).
//
// # Design
//
// Each kind of attempt is counted under keys such as "login:ip:192.0.2.7"
// (per client address) and "login:member:42" (per account). An attempt is
// counted when it starts, before its outcome is known, so that a burst of
// parallel requests cannot slip through between a check and a count; a
// success then takes its count back (Reset for an account, Forgive for an
// address that many people may share). After Rule.Free counted attempts, each
// further one makes the key wait before the next: Rule.Base, then twice
// that, and so on up to Rule.Max. An attempt during the wait is refused with
// a *TooManyError (HTTP 429 with Retry-After) and never reaches the password
// check. A counter is forgotten Forget after its wait ended without another
// attempt.
//
// The per-account cap is low (a minute for passwords): an attacker can slow
// the owner down but never lock them out; the per-address cap is high, so
// one address cannot keep guessing. Nothing is locked for good.
//
// # Why not a library
//
// The counters live in the rate_limits table of the Chorus database, so
// every chorus process on the same database (many servers behind a load
// balancer) shares them, and tests control time through the store's clock.
// The well-kept Go limiters (golang.org/x/time/rate, ulule/limiter,
// throttled) are token buckets kept in memory or in Redis: in memory each
// process would count alone, and Redis would be a new service to run. The
// whole algorithm here is one locked row per key.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"chorus/internal/chorus"
	"chorus/internal/store"
)

// Rule says how a kind of key slows down.
type Rule struct {
	// Free is how many attempts are counted before any wait.
	Free int
	// Base is the first wait; each further attempt doubles it.
	Base time.Duration
	// Max caps the wait.
	Max time.Duration
}

// The rules Chorus uses.
var (
	// PerAccount slows guessing at one account's password: 5 free
	// attempts, then 1 s doubling to at most 1 minute, so the owner, even
	// while an attacker guesses from elsewhere, waits a minute at worst.
	PerAccount = Rule{Free: 5, Base: time.Second, Max: time.Minute}
	// PerAddress slows one client address (an IPv4 address or an IPv6 /64):
	// 10 free attempts, then 1 s doubling to at most 15 minutes.
	PerAddress = Rule{Free: 10, Base: time.Second, Max: 15 * time.Minute}
	// SecondFactor slows guessing at one account's six-digit codes: 5
	// free attempts, then 1 s doubling to at most 15 minutes. Whoever gets
	// this far already has the password; a one-minute cap would let them
	// try about 500,000 codes a year, enough to find one.
	SecondFactor = Rule{Free: 5, Base: time.Second, Max: 15 * time.Minute}
)

// Forget is how long a counter lives after its wait ended without a new
// attempt.
const Forget = time.Hour

// Wait returns how long a key that has counted attempts must wait before
// the next: 0 up to r.Free, then r.Base·2^(attempts-r.Free-1), at most r.Max.
func (r Rule) Wait(attempts int) time.Duration {
	over := attempts - r.Free
	if over <= 0 {
		return 0
	}
	d := r.Base
	for range over - 1 {
		if d >= r.Max {
			break
		}
		d *= 2
	}
	return min(d, r.Max)
}

// Key is one counter and the rule it follows.
type Key struct {
	Name string
	Rule Rule
}

// TooManyError refuses an attempt made during a key's wait.
type TooManyError struct {
	// Wait is how long until the next attempt is allowed.
	Wait time.Duration
}

// Seconds is Wait in whole seconds, rounded up (at least 1): the value of
// an HTTP Retry-After header (RFC 9110 §10.2.3).
func (e *TooManyError) Seconds() int {
	s := int((e.Wait + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Error is a message for the person who tried.
func (e *TooManyError) Error() string {
	s := e.Seconds()
	switch {
	case s == 1:
		return "Too many attempts. Please wait 1 second and try again."
	case s < 120:
		return fmt.Sprintf("Too many attempts. Please wait %d seconds and try again.", s)
	default:
		return fmt.Sprintf("Too many attempts. Please wait %d minutes and try again.", (s+59)/60)
	}
}

// Limiter counts attempts in the database.
type Limiter struct {
	db *store.DB
	// sweepEvery spaces the deletions of expired counters in this process.
	sweepEvery time.Duration
	mu         sync.Mutex
	lastSweep  time.Time
}

// New returns a limiter on db, whose clock (store.DB.SetClock) it follows.
func New(db *store.DB) *Limiter { return &Limiter{db: db, sweepEvery: time.Minute} }

// Attempt counts one attempt on every key, or on none: when any key is in
// its wait, it returns a *TooManyError with the longest wait and counts
// nothing. Otherwise each key's count grows by one and its next wait is set
// by its rule. Call Reset or Forgive when the attempt succeeds.
func (l *Limiter) Attempt(ctx context.Context, keys ...Key) error {
	keys = sortedKeys(keys)
	var wait time.Duration
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		rows := make([]store.RateLimit, len(keys))
		for i, k := range keys {
			rl, err := tx.EnsureRateLimit(ctx, k.Name)
			if err != nil {
				return err
			}
			if rl.NextAllowedAt.Add(Forget).Before(tx.Now) {
				rl.Failures = 0 // expired
			}
			if rl.Failures == 0 {
				rl.WindowStart = tx.Now
			}
			wait = max(wait, rl.NextAllowedAt.Sub(tx.Now))
			rows[i] = rl
		}
		if wait > 0 {
			return errWaiting // rolled back: nothing is counted
		}
		for i, k := range keys {
			rows[i].Failures++
			rows[i].NextAllowedAt = tx.Now.Add(k.Rule.Wait(rows[i].Failures))
			if err := tx.SaveRateLimit(ctx, rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
	l.sweep(ctx)
	switch {
	case errors.Is(err, errWaiting):
		return &TooManyError{Wait: wait}
	case err != nil:
		return fmt.Errorf("count attempt: %w", err)
	}
	return nil
}

var errWaiting = errors.New("waiting")

// Wait returns how long key must wait before its next attempt (0 for
// none), without counting anything.
func (l *Limiter) Wait(ctx context.Context, key string) (time.Duration, error) {
	rl, err := l.db.RateLimit(ctx, key)
	if errors.Is(err, chorus.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return max(0, rl.NextAllowedAt.Sub(l.db.Now())), nil
}

// Reset forgets every attempt counted on keys: a success on an account.
func (l *Limiter) Reset(ctx context.Context, keys ...string) error {
	return l.db.DeleteRateLimits(ctx, keys...)
}

// Forgive takes back one attempt counted on each key and the wait it
// caused: a success from a client address, which other people may share
// (a school, an office, a mobile carrier) and which must not be slowed
// down by their own successful logins.
func (l *Limiter) Forgive(ctx context.Context, keys ...Key) error {
	keys = sortedKeys(keys)
	return l.db.Tx(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			rl, err := tx.LockRateLimit(ctx, k.Name)
			if errors.Is(err, chorus.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if rl.Failures == 0 {
				continue
			}
			// The last count set NextAllowedAt to its time plus the wait
			// of that count; the wait of one count fewer replaces it.
			at := rl.NextAllowedAt.Add(-k.Rule.Wait(rl.Failures))
			rl.Failures--
			rl.NextAllowedAt = at.Add(k.Rule.Wait(rl.Failures))
			if err := tx.SaveRateLimit(ctx, rl); err != nil {
				return err
			}
		}
		return nil
	})
}

// Sweep deletes every expired counter and returns how many it deleted.
// Counters hold client addresses: run it every few minutes so that they
// are kept no longer than they protect, even on a quiet site.
func (l *Limiter) Sweep(ctx context.Context) (int64, error) {
	return l.db.DeleteRateLimitsBefore(ctx, l.db.Now().Add(-Forget))
}

// sweep runs Sweep after an attempt, at most once per sweepEvery in this
// process.
func (l *Limiter) sweep(ctx context.Context) {
	now := l.db.Now()
	l.mu.Lock()
	due := now.Sub(l.lastSweep) >= l.sweepEvery || now.Before(l.lastSweep)
	if due {
		l.lastSweep = now
	}
	l.mu.Unlock()
	if due {
		_, _ = l.Sweep(ctx) // on failure, the next sweep deletes them
	}
}

func sortedKeys(keys []Key) []Key {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b Key) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return slices.CompactFunc(keys, func(a, b Key) bool { return a.Name == b.Name })
}
