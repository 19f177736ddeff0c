package store

import (
	"context"
	"fmt"
	"time"
)

// RateLimit is one attempt counter behind the growing delays of
// internal/ratelimit: one row per key, shared by every process on the
// database.
type RateLimit struct {
	Key string
	// Failures counts the attempts held against the key since WindowStart.
	Failures int
	// WindowStart is when counting began (the first attempt after the
	// counter was last cleared or expired).
	WindowStart time.Time
	// NextAllowedAt is the earliest time of the next attempt.
	NextAllowedAt time.Time
}

// Now returns the time a transaction started now would carry: the
// database's clock (SetClock), in UTC, to the microsecond.
func (s *DB) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// EnsureRateLimit returns the counter of key, creating an empty one (no
// attempts, allowed now) when there is none, and holds it until tx ends so
// that concurrent attempts on the same key, from any process, are counted
// one after the other. Take keys in a fixed order to avoid deadlocks.
func (tx *Tx) EnsureRateLimit(ctx context.Context, key string) (RateLimit, error) {
	if _, err := tx.exec(ctx, `INSERT INTO rate_limits (key, failures, window_start, next_allowed_at)
		VALUES (?, 0, ?, ?) ON CONFLICT (key) DO NOTHING`, key, tx.Now, tx.Now); err != nil {
		return RateLimit{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return tx.LockRateLimit(ctx, key)
}

// LockRateLimit returns the counter of key and holds it until tx ends, or
// ErrNotFound when key has none.
func (tx *Tx) LockRateLimit(ctx context.Context, key string) (RateLimit, error) {
	q := `SELECT key, failures, window_start, next_allowed_at FROM rate_limits WHERE key = ?`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE` // SQLite's write transaction already excludes other writers
	}
	var rl RateLimit
	err := tx.queryRow(ctx, q, key).Scan(&rl.Key, &rl.Failures, &rl.WindowStart, &rl.NextAllowedAt)
	return rl, notFound(err, "rate limit")
}

// SaveRateLimit writes a counter locked by EnsureRateLimit or LockRateLimit
// in the same tx.
func (tx *Tx) SaveRateLimit(ctx context.Context, rl RateLimit) error {
	_, err := tx.exec(ctx, `UPDATE rate_limits SET failures = ?, window_start = ?, next_allowed_at = ? WHERE key = ?`,
		rl.Failures, rl.WindowStart.UTC(), rl.NextAllowedAt.UTC(), rl.Key)
	if err != nil {
		return fmt.Errorf("rate limit %q: %w", rl.Key, err)
	}
	return nil
}

// RateLimit returns the counter of key, or ErrNotFound when it has none.
func (s *DB) RateLimit(ctx context.Context, key string) (RateLimit, error) {
	var rl RateLimit
	err := s.queryRow(ctx, `SELECT key, failures, window_start, next_allowed_at FROM rate_limits WHERE key = ?`, key).
		Scan(&rl.Key, &rl.Failures, &rl.WindowStart, &rl.NextAllowedAt)
	return rl, notFound(err, "rate limit")
}

// DeleteRateLimits clears the counters of keys; keys without one are skipped.
func (s *DB) DeleteRateLimits(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := s.exec(ctx, `DELETE FROM rate_limits WHERE key = ?`, k); err != nil {
			return fmt.Errorf("clear rate limit %q: %w", k, err)
		}
	}
	return nil
}

// DeleteRateLimitsBefore deletes every counter whose next allowed attempt
// is before t (counters that have expired) and returns how many it deleted.
func (s *DB) DeleteRateLimitsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM rate_limits WHERE next_allowed_at < ?`, t.UTC())
	if err != nil {
		return 0, fmt.Errorf("delete expired rate limits: %w", err)
	}
	return res.RowsAffected()
}
