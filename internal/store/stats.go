package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TotalsQuery selects the subjects whose period totals SubjectTotals sums:
// every subject of SubjectKind ("track", "album" or "artist") with rows in
// days From to To inclusive ("YYYY-MM-DD"), optionally only the tracks or
// albums of one artist (ArtistID) or the subjects with a track tagged Tag.
type TotalsQuery struct {
	SubjectKind string
	From, To    string
	ArtistID    int64
	Tag         string
	// Limit bounds the rows returned, largest plays first; 0 returns all.
	Limit int
}

// SubjectTotals sums the "all" rows of analytics_daily per subject over
// q's days: one row per subject (Day and Value empty), largest plays
// first, ties by subject id. Listeners is a sum of daily distinct
// listeners. When the totals of exactly q.From..q.To are precomputed (see
// ComputePeriodTotals) for a track, album or artist query, it reads them,
// which gives the same rows; otherwise it sums the daily rows.
func (s *DB) SubjectTotals(ctx context.Context, q TotalsQuery) ([]DailyRow, error) {
	if periodKinds[q.SubjectKind] {
		out, ok, err := s.precomputedTotals(ctx, q)
		if err != nil || ok {
			return out, err
		}
	}
	var b strings.Builder
	args := []any{q.SubjectKind, q.From, q.To}
	b.WriteString(`SELECT subject_id, SUM(views), SUM(plays), SUM(listeners), SUM(downloads), SUM(favourites)
		FROM analytics_daily WHERE subject_kind = ? AND dimension = 'all' AND day >= ? AND day <= ?`)
	args = totalsFilter(&b, q, args)
	b.WriteString(` GROUP BY subject_id ORDER BY SUM(plays) DESC, subject_id`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit)
	}
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DailyRow
	for rows.Next() {
		r := DailyRow{SubjectKind: q.SubjectKind, Dimension: "all"}
		if err := rows.Scan(&r.SubjectID, &r.Views, &r.Plays, &r.Listeners, &r.Downloads, &r.Favourites); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// totalsFilter appends to b the conditions on subject_id of q's ArtistID
// and Tag, and returns args with theirs.
func totalsFilter(b *strings.Builder, q TotalsQuery, args []any) []any {
	column := map[string]string{"track": "t.id", "album": "t.album_id", "artist": "t.artist_id"}[q.SubjectKind]
	if column == "" {
		column = "t.id"
	}
	if q.ArtistID != 0 {
		b.WriteString(` AND subject_id IN (SELECT ` + column + ` FROM tracks t WHERE t.artist_id = ? AND ` + column + ` IS NOT NULL)`)
		args = append(args, q.ArtistID)
	}
	if q.Tag != "" {
		b.WriteString(` AND subject_id IN (SELECT ` + column + ` FROM tracks t JOIN track_tags g ON g.track_id = t.id WHERE g.tag = ? AND ` + column + ` IS NOT NULL)`)
		args = append(args, q.Tag)
	}
	return args
}

// periodKinds are the subject kinds whose period totals are precomputed.
var periodKinds = map[string]bool{"track": true, "album": true, "artist": true}

// precomputedTotals answers q from analytics_period_totals, and reports
// false when q's period is not precomputed. One statement reads both the
// period's listing and its totals, so it sees one committed state.
func (s *DB) precomputedTotals(ctx context.Context, q TotalsQuery) ([]DailyRow, bool, error) {
	var b strings.Builder
	args := []any{q.SubjectKind}
	b.WriteString(`SELECT p.subject_id, p.views, p.plays, p.listeners, p.downloads, p.favourites
		FROM analytics_period_windows w LEFT JOIN analytics_period_totals p ON p.from_day = w.from_day AND p.to_day = w.to_day AND p.subject_kind = ?`)
	var f strings.Builder
	args = totalsFilter(&f, q, args)
	b.WriteString(strings.ReplaceAll(f.String(), " AND subject_id IN", " AND p.subject_id IN"))
	b.WriteString(` WHERE w.from_day = ? AND w.to_day = ? AND w.complete = TRUE ORDER BY p.plays DESC, p.subject_id`)
	args = append(args, q.From, q.To)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit)
	}
	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	listed := false
	var out []DailyRow
	for rows.Next() {
		listed = true
		var id, views, plays, listeners, downloads, favourites sql.NullInt64
		if err := rows.Scan(&id, &views, &plays, &listeners, &downloads, &favourites); err != nil {
			return nil, false, err
		}
		if !id.Valid { // the period is listed but has no subject of q
			continue
		}
		out = append(out, DailyRow{SubjectKind: q.SubjectKind, SubjectID: id.Int64, Dimension: "all", Views: views.Int64,
			Plays: plays.Int64, Listeners: listeners.Int64, Downloads: downloads.Int64, Favourites: favourites.Int64})
	}
	return out, listed, rows.Err()
}

// Period is a run of days, From to To inclusive ("YYYY-MM-DD").
type Period struct{ From, To string }

// ErrPeriodChanged is returned by ComputePeriodTotals when days of the
// period were rolled up again while it was summing them, every time it
// tried.
var ErrPeriodChanged = errors.New("store: the period's days were rolled up again while being summed")

// ComputePeriodTotals (re)computes the totals of every track, album and
// artist over p from analytics_daily, and lists p as precomputed. The
// sums are read without holding the write lock (they may take seconds
// over a year of a busy site); the totals are then replaced and p listed
// in one short transaction, so readers see the old totals or the new
// ones, never part. If a day of p is rolled up again meanwhile (ReplaceDay
// unlists p and counts its generation), the sums are stale and it starts
// again, up to three times, then returns ErrPeriodChanged.
func (s *DB) ComputePeriodTotals(ctx context.Context, p Period) error {
	for range 3 {
		err := s.computePeriodTotals(ctx, p)
		if !errors.Is(err, ErrPeriodChanged) {
			return err
		}
	}
	return ErrPeriodChanged
}

// afterPeriodSums, when set by a test, runs between reading a period's
// sums and writing them.
var afterPeriodSums func()

// periodChunk is the most rows one INSERT of period totals writes: 9,000
// bound parameters, below both databases' limits.
const periodChunk = 1000

func (s *DB) computePeriodTotals(ctx context.Context, p Period) error {
	// Listed as being summed: ReplaceDay counts a generation more.
	var generation int64
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO analytics_period_windows (from_day, to_day, complete, generation, computed_at) VALUES (?, ?, FALSE, 0, ?)
			ON CONFLICT (from_day, to_day) DO NOTHING`, p.From, p.To, tx.Now); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT generation FROM analytics_period_windows WHERE from_day = ? AND to_day = ?`, p.From, p.To).Scan(&generation)
	})
	if err != nil {
		return err
	}
	rows, err := s.query(ctx, `SELECT subject_kind, subject_id, SUM(views), SUM(plays), SUM(listeners), SUM(downloads), SUM(favourites)
		FROM analytics_daily WHERE subject_kind IN ('track', 'album', 'artist') AND dimension = 'all' AND day >= ? AND day <= ?
		GROUP BY subject_kind, subject_id`, p.From, p.To)
	if err != nil {
		return fmt.Errorf("sum period %s..%s: %w", p.From, p.To, err)
	}
	var sums []DailyRow
	for rows.Next() {
		var r DailyRow
		if err := rows.Scan(&r.SubjectKind, &r.SubjectID, &r.Views, &r.Plays, &r.Listeners, &r.Downloads, &r.Favourites); err != nil {
			rows.Close()
			return err
		}
		sums = append(sums, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if afterPeriodSums != nil {
		afterPeriodSums()
	}
	return s.Tx(ctx, func(tx *Tx) error {
		if tx.dialect == Postgres {
			// A roll-up under way finishes first, and its deletion is seen.
			if _, err := tx.exec(ctx, `LOCK TABLE analytics_period_windows IN EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		var now int64
		err := tx.queryRow(ctx, `SELECT generation FROM analytics_period_windows WHERE from_day = ? AND to_day = ?`, p.From, p.To).Scan(&now)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && now != generation) {
			return ErrPeriodChanged // rolled up again, or deleted by KeepPeriodTotals
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM analytics_period_totals WHERE from_day = ? AND to_day = ?`, p.From, p.To); err != nil {
			return err
		}
		for start := 0; start < len(sums); start += periodChunk {
			part := sums[start:min(start+periodChunk, len(sums))]
			var b strings.Builder
			b.WriteString(`INSERT INTO analytics_period_totals (from_day, to_day, subject_kind, subject_id, views, plays, listeners, downloads, favourites) VALUES `)
			args := make([]any, 0, len(part)*9)
			for i, r := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, p.From, p.To, r.SubjectKind, r.SubjectID, r.Views, r.Plays, r.Listeners, r.Downloads, r.Favourites)
			}
			if _, err := tx.exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("write period totals: %w", err)
			}
		}
		_, err = tx.exec(ctx, `UPDATE analytics_period_windows SET complete = TRUE, computed_at = ? WHERE from_day = ? AND to_day = ?`, tx.Now, p.From, p.To)
		return err
	})
}

// PrecomputedPeriods returns the periods whose totals are complete and
// current, earliest first.
func (s *DB) PrecomputedPeriods(ctx context.Context) ([]Period, error) {
	rows, err := s.query(ctx, `SELECT from_day, to_day FROM analytics_period_windows WHERE complete = TRUE ORDER BY from_day, to_day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Period
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.From, &p.To); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// KeepPeriodTotals deletes the periods other than keep, with their
// totals (current or not).
func (s *DB) KeepPeriodTotals(ctx context.Context, keep []Period) error {
	return s.Tx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT from_day, to_day FROM analytics_period_windows`)
		if err != nil {
			return err
		}
		var drop []Period
		for rows.Next() {
			var p Period
			if err := rows.Scan(&p.From, &p.To); err != nil {
				rows.Close()
				return err
			}
			if !slices.Contains(keep, p) {
				drop = append(drop, p)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range drop {
			if _, err := tx.exec(ctx, `DELETE FROM analytics_period_totals WHERE from_day = ? AND to_day = ?`, p.From, p.To); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `DELETE FROM analytics_period_windows WHERE from_day = ? AND to_day = ?`, p.From, p.To); err != nil {
				return err
			}
		}
		return nil
	})
}

// SiteFigures are the counts of the admin dashboard.
type SiteFigures struct {
	Members      int64 // all accounts
	NewMembers   int64 // accounts created in the period
	Tracks       int64 // all tracks in any state
	Uploads      int64 // tracks uploaded in the period
	StorageBytes int64 // originals and stream copies of every track, in bytes
}

// SiteFigures counts members, tracks and stored bytes, all time and for
// the period [from, to).
func (s *DB) SiteFigures(ctx context.Context, from, to time.Time) (SiteFigures, error) {
	var f SiteFigures
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0) FROM members`,
		from.UTC(), to.UTC()).Scan(&f.Members, &f.NewMembers)
	if err != nil {
		return f, err
	}
	err = s.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(original_size + stream_size), 0) FROM tracks`, from.UTC(), to.UTC()).Scan(&f.Tracks, &f.Uploads, &f.StorageBytes)
	return f, err
}

// MembersJoined returns the creation times of the accounts created in
// [from, to), oldest first: the admin dashboard buckets them by day or
// month.
func (s *DB) MembersJoined(ctx context.Context, from, to time.Time) ([]time.Time, error) {
	rows, err := s.query(ctx, `SELECT created_at FROM members WHERE created_at >= ? AND created_at < ? ORDER BY created_at`, from.UTC(), to.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t.UTC())
	}
	return out, rows.Err()
}

// Related is a track found near another one, with how strongly: Shared
// tags, or Listeners who played both.
type Related struct {
	TrackID   int64
	Shared    int
	Listeners int
}

// TracksSharingTags returns the tracks that share tags with trackID, most
// shared tags first, at most limit.
func (s *DB) TracksSharingTags(ctx context.Context, trackID int64, limit int) ([]Related, error) {
	rows, err := s.query(ctx, `SELECT o.track_id, COUNT(*) FROM track_tags me JOIN track_tags o ON o.tag = me.tag AND o.track_id <> me.track_id
		JOIN tracks t ON t.id = o.track_id AND `+publicTrack+`
		WHERE me.track_id = ? GROUP BY o.track_id ORDER BY COUNT(*) DESC, o.track_id DESC LIMIT ?`, trackID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Related
	for rows.Next() {
		var r Related
		if err := rows.Scan(&r.TrackID, &r.Shared); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// coListenSample bounds how many of a track's listeners CoListened
// follows, so that a popular track's page stays cheap.
const coListenSample = 1000

// CoListened returns the tracks played by at least minListeners of the
// people who played trackID (up to coListenSample of them), most shared
// listeners first, at most limit.
// Only identified plays count, and a play carries an identifier (member
// or visitor id) only when its listener consented to analytics; the
// listeners are counted, never returned.
func (s *DB) CoListened(ctx context.Context, trackID int64, minListeners, limit int) ([]Related, error) {
	rows, err := s.query(ctx, `WITH mine AS (
			SELECT DISTINCT COALESCE(member_id, 0) AS m, visitor_id AS v FROM analytics_events
			WHERE track_id = ? AND kind = 'play' AND (member_id IS NOT NULL OR visitor_id <> '') LIMIT ?),
		theirs AS (
			SELECT e.track_id, e.member_id AS m, '' AS v FROM analytics_events e JOIN mine ON e.member_id = mine.m
			WHERE mine.m <> 0 AND e.kind = 'play' AND e.track_id <> ? AND e.track_id <> 0
			UNION
			SELECT e.track_id, 0, e.visitor_id FROM analytics_events e JOIN mine ON e.visitor_id = mine.v
			WHERE mine.v <> '' AND e.visitor_id <> '' AND e.member_id IS NULL AND e.kind = 'play' AND e.track_id <> ? AND e.track_id <> 0)
		SELECT theirs.track_id, COUNT(*) FROM theirs JOIN tracks t ON t.id = theirs.track_id AND `+publicTrack+`
		GROUP BY theirs.track_id HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC, theirs.track_id DESC LIMIT ?`,
		trackID, coListenSample, trackID, trackID, minListeners, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Related
	for rows.Next() {
		var r Related
		if err := rows.Scan(&r.TrackID, &r.Listeners); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecentPlays returns the tracks the member played most recently, newest
// first and each once, at most limit. Only the member's own linked plays
// are read.
func (s *DB) RecentPlays(ctx context.Context, memberID int64, limit int) ([]int64, error) {
	rows, err := s.query(ctx, `SELECT track_id FROM analytics_events WHERE member_id = ? AND kind = 'play' AND track_id <> 0
		GROUP BY track_id ORDER BY MAX(occurred_at) DESC, track_id LIMIT ?`, memberID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
