package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Event is one analytics event as stored in analytics_events. MemberID
// (0 for none) and VisitorID ("" for none) are set only when the person
// consented to analytics; IP is the full address, which goes only to the
// security log.
type Event struct {
	ID         int64
	Time       time.Time
	Kind       string
	TrackID    int64
	AlbumID    int64
	ArtistID   int64
	Path       string
	Query      string
	Results    int
	Referrer   string // the referring page's host only
	Browser    string
	OS         string
	Device     string
	Network    string // truncated: /24 IPv4, /48 IPv6
	Country    string // ISO 3166-1 alpha-2, "" when unknown
	MemberID   int64
	VisitorID  string
	IP         string // not stored with the event
	TrackTitle string // filled by History only
}

// eventColumns is the column list of InsertEvents, in Event order.
const eventColumns = `occurred_at, kind, track_id, album_id, artist_id, path, query, results, referrer_host, browser, os, device, network, country, member_id, visitor_id`

// eventChunk is the most rows one INSERT statement writes: 16 columns per
// row stays far below both databases' limits on bound parameters.
const eventChunk = 128

// chunkSize is how many of n rows the next INSERT writes: the largest
// power of two up to eventChunk, so that a few prepared statements (one
// per size) write any batch.
func chunkSize(n int) int {
	size := eventChunk
	for size > n {
		size /= 2
	}
	return size
}

// InsertEvents writes events to analytics_events, each event's IP to the
// security log, and adds the plays among them to the tracks' play counts,
// all inside tx. Events are written in multi-row statements; the caller
// commits them together.
func (tx *Tx) InsertEvents(ctx context.Context, events []Event) error {
	plays := map[int64]int{}
	for start := 0; start < len(events); {
		part := events[start : start+chunkSize(len(events)-start)]
		start += len(part)
		var ev, sec strings.Builder
		ev.WriteString(`INSERT INTO analytics_events (` + eventColumns + `) VALUES `)
		sec.WriteString(`INSERT INTO security_log (occurred_at, ip, member_id) VALUES `)
		args := make([]any, 0, len(part)*16)
		secArgs := make([]any, 0, len(part)*3)
		for i, e := range part {
			if i > 0 {
				ev.WriteString(", ")
			}
			ev.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			t := e.Time
			if t.IsZero() {
				t = tx.Now
			}
			args = append(args, t.UTC(), e.Kind, e.TrackID, e.AlbumID, e.ArtistID, e.Path, e.Query, e.Results,
				e.Referrer, e.Browser, e.OS, e.Device, e.Network, e.Country, nullID(e.MemberID), e.VisitorID)
			if e.IP != "" {
				if len(secArgs) > 0 {
					sec.WriteString(", ")
				}
				sec.WriteString("(?, ?, ?)")
				secArgs = append(secArgs, t.UTC(), e.IP, nullID(e.MemberID))
			}
			if e.Kind == "play" && e.TrackID != 0 {
				plays[e.TrackID]++
			}
		}
		if _, err := tx.execPrepared(ctx, ev.String(), args...); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if len(secArgs) > 0 {
			if _, err := tx.execPrepared(ctx, sec.String(), secArgs...); err != nil {
				return fmt.Errorf("insert security log: %w", err)
			}
		}
	}
	if len(plays) == 0 {
		return nil
	}
	// One statement adds every track's plays of the batch.
	var b strings.Builder
	args := make([]any, 0, 2*len(plays))
	b.WriteString(`WITH v (id, n) AS (VALUES `)
	for id, n := range plays {
		if len(args) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT))")
		args = append(args, id, n)
	}
	// Tracks deleted since their play was streamed are skipped. (WHERE
	// TRUE tells SQLite's parser that ON CONFLICT is the upsert's.)
	b.WriteString(`) INSERT INTO track_plays (track_id, plays) SELECT v.id, v.n FROM v JOIN tracks t ON t.id = v.id WHERE TRUE
		ON CONFLICT (track_id) DO UPDATE SET plays = track_plays.plays + excluded.plays`)
	if _, err := tx.exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("count plays: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CountEvents returns how many raw events are stored; tests and the
// benchmark use it.
func (s *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM analytics_events`).Scan(&n)
	return n, err
}

// EventsOfMember returns the member's events, newest first, limit at a
// time from offset; it also returns how many there are in all.
func (s *DB) EventsOfMember(ctx context.Context, memberID int64, limit, offset int) ([]Event, int, error) {
	var total int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM analytics_events WHERE member_id = ?`, memberID).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT e.id, e.occurred_at, e.kind, e.track_id, e.album_id, e.artist_id, e.path, e.query, e.results,
		e.referrer_host, e.browser, e.os, e.device, COALESCE(t.title, '')
		FROM analytics_events e LEFT JOIN tracks t ON t.id = e.track_id AND e.track_id <> 0
		WHERE e.member_id = ? ORDER BY e.occurred_at DESC, e.id DESC LIMIT ? OFFSET ?`, memberID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e := Event{MemberID: memberID}
		if err := rows.Scan(&e.ID, &e.Time, &e.Kind, &e.TrackID, &e.AlbumID, &e.ArtistID, &e.Path, &e.Query, &e.Results,
			&e.Referrer, &e.Browser, &e.OS, &e.Device, &e.TrackTitle); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// unlinkEvent is the SET clause that takes an event out of a member's
// history: nothing that could point back at them is left, and the event
// still counts, anonymously, in the statistics.
const unlinkEvent = `member_id = NULL, visitor_id = '', query = '', referrer_host = '', browser = '', os = '', device = '', network = '', country = ''`

// ForgetEvent takes one event out of the member's history (see
// unlinkEvent); ErrNotFound when they have no such event.
func (s *DB) ForgetEvent(ctx context.Context, memberID, eventID int64) error {
	res, err := s.exec(ctx, `UPDATE analytics_events SET `+unlinkEvent+` WHERE id = ? AND member_id = ?`, eventID, memberID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound(sql.ErrNoRows, "history entry")
	}
	return nil
}

// ForgetHistory takes every event out of the member's history and returns
// how many there were: the events are unlinked and count anonymously.
func (s *DB) ForgetHistory(ctx context.Context, memberID int64) (n int64, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		n, err = tx.ForgetHistory(ctx, memberID)
		return err
	})
	return n, err
}

// ForgetHistory is DB.ForgetHistory inside a transaction, for a change
// that must go with it (withdrawing analytics consent).
func (tx *Tx) ForgetHistory(ctx context.Context, memberID int64) (int64, error) {
	res, err := tx.exec(ctx, `UPDATE analytics_events SET `+unlinkEvent+` WHERE member_id = ?`, memberID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// HistoryPaused reports whether the member paused their listening history.
func (s *DB) HistoryPaused(ctx context.Context, memberID int64) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM history_pauses WHERE member_id = ?`, memberID).Scan(&n)
	return n > 0, err
}

// PauseHistory pauses (paused true) or resumes the member's listening history.
func (s *DB) PauseHistory(ctx context.Context, memberID int64, paused bool) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM history_pauses WHERE member_id = ?`, memberID); err != nil {
			return err
		}
		if !paused {
			return nil
		}
		_, err := tx.exec(ctx, `INSERT INTO history_pauses (member_id, paused_at) VALUES (?, ?)`, memberID, tx.Now)
		return err
	})
}

// DeleteSecurityLog deletes security log entries older than before and
// returns how many it deleted.
func (s *DB) DeleteSecurityLog(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM security_log WHERE occurred_at < ?`, before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DayFormat is the layout of analytics_daily.day.
const DayFormat = "2006-01-02"

// EachEventOfDay calls fn with every event of the UTC day (no IP, no
// TrackTitle), in no particular order, one row at a time.
func (s *DB) EachEventOfDay(ctx context.Context, day time.Time, fn func(Event) error) error {
	from := day.UTC().Truncate(24 * time.Hour)
	rows, err := s.query(ctx, `SELECT id, occurred_at, kind, track_id, album_id, artist_id, referrer_host, browser, os, device, network, country,
		COALESCE(member_id, 0), visitor_id FROM analytics_events WHERE occurred_at >= ? AND occurred_at < ?`, from, from.Add(24*time.Hour))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Time, &e.Kind, &e.TrackID, &e.AlbumID, &e.ArtistID, &e.Referrer, &e.Browser, &e.OS, &e.Device,
			&e.Network, &e.Country, &e.MemberID, &e.VisitorID); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// OldestEventDay returns the UTC day of the oldest raw event, and false
// when there is none before before.
func (s *DB) OldestEventDay(ctx context.Context, before time.Time) (time.Time, bool, error) {
	return s.FirstEventDay(ctx, time.Time{}, before)
}

// FirstEventDay returns the UTC day of the first raw event at or after
// from, and false when there is none before before.
func (s *DB) FirstEventDay(ctx context.Context, from, before time.Time) (time.Time, bool, error) {
	rows, err := s.query(ctx, `SELECT occurred_at FROM analytics_events WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at LIMIT 1`, from.UTC(), before.UTC())
	if err != nil {
		return time.Time{}, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return time.Time{}, false, rows.Err()
	}
	var t time.Time
	if err := rows.Scan(&t); err != nil {
		return time.Time{}, false, err
	}
	return t.UTC().Truncate(24 * time.Hour), true, nil
}

// DayRolledUp reports whether day's events were folded into analytics_daily.
func (s *DB) DayRolledUp(ctx context.Context, day time.Time) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM analytics_rollups WHERE day = ?`, day.UTC().Format(DayFormat)).Scan(&n)
	return n > 0, err
}

// LastRolledDay returns the latest day folded into analytics_daily, and
// false when there is none.
func (s *DB) LastRolledDay(ctx context.Context) (time.Time, bool, error) {
	var d sql.NullString
	if err := s.queryRow(ctx, `SELECT MAX(day) FROM analytics_rollups`).Scan(&d); err != nil || !d.Valid {
		return time.Time{}, false, err
	}
	t, err := time.Parse(DayFormat, d.String)
	return t, err == nil, err
}

// DailyRow is one row of analytics_daily: the figures of one subject on
// one day, for all its events (Dimension "all", Value "") or for one value
// of a breakdown.
type DailyRow struct {
	SubjectKind string // "track", "album", "artist" or "site" (SubjectID 0)
	SubjectID   int64
	Dimension   string // "all", "device", "browser", "referrer", "country"
	Day         string // YYYY-MM-DD, UTC
	Value       string // the device type, browser family, referrer host or country; "other" for merged cells
	Views       int64  // page views
	Plays       int64
	Listeners   int64 // distinct listeners (see analytics.ListenerKey)
	Downloads   int64
	Favourites  int64
}

// ReplaceDay replaces the aggregates of day by rows, records the day as
// rolled up and unlists the precomputed periods holding it (see
// ComputePeriodTotals), in one transaction.
func (s *DB) ReplaceDay(ctx context.Context, day time.Time, rows []DailyRow) error {
	d := day.UTC().Format(DayFormat)
	return s.Tx(ctx, func(tx *Tx) error {
		// The precomputed periods holding the day are no longer current.
		if _, err := tx.exec(ctx, `UPDATE analytics_period_windows SET complete = FALSE, generation = generation + 1 WHERE from_day <= ? AND to_day >= ?`, d, d); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM analytics_daily WHERE day = ?`, d); err != nil {
			return err
		}
		for start := 0; start < len(rows); start += eventChunk {
			part := rows[start:min(start+eventChunk, len(rows))]
			var b strings.Builder
			b.WriteString(`INSERT INTO analytics_daily (subject_kind, subject_id, dimension, day, value, views, plays, listeners, downloads, favourites) VALUES `)
			args := make([]any, 0, len(part)*10)
			for i, r := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, r.SubjectKind, r.SubjectID, r.Dimension, d, r.Value, r.Views, r.Plays, r.Listeners, r.Downloads, r.Favourites)
			}
			if _, err := tx.exec(ctx, b.String(), args...); err != nil {
				return fmt.Errorf("insert daily aggregates: %w", err)
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM analytics_rollups WHERE day = ?`, d); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO analytics_rollups (day, rolled_at) VALUES (?, ?)`, d, tx.Now)
		return err
	})
}

// DeleteEventsBefore deletes the raw events older than before whose days
// are rolled up, and returns how many it deleted.
func (s *DB) DeleteEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		// Days are deleted one at a time, so a day not rolled up stops it.
		day, ok, err := s.OldestEventDay(ctx, before)
		if err != nil || !ok {
			return total, err
		}
		rolled, err := s.DayRolledUp(ctx, day)
		if err != nil || !rolled {
			return total, err
		}
		end := day.Add(24 * time.Hour)
		if end.After(before.UTC()) {
			end = before.UTC()
		}
		res, err := s.exec(ctx, `DELETE FROM analytics_events WHERE occurred_at < ?`, end)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if end.Equal(before.UTC()) {
			return total, nil
		}
	}
}

// DailyQuery selects rows of analytics_daily: one subject, one dimension,
// days From to To inclusive ("YYYY-MM-DD").
type DailyQuery struct {
	SubjectKind string
	SubjectID   int64
	Dimension   string
	From, To    string
}

// Daily returns the aggregates q selects, ordered by day then value. The
// primary key (subject_kind, subject_id, dimension, day, value) serves the
// query, so a year of one subject is one index range.
func (s *DB) Daily(ctx context.Context, q DailyQuery) ([]DailyRow, error) {
	rows, err := s.query(ctx, `SELECT subject_kind, subject_id, dimension, day, value, views, plays, listeners, downloads, favourites
		FROM analytics_daily WHERE subject_kind = ? AND subject_id = ? AND dimension = ? AND day >= ? AND day <= ? ORDER BY day, value`,
		q.SubjectKind, q.SubjectID, q.Dimension, q.From, q.To)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DailyRow
	for rows.Next() {
		var r DailyRow
		if err := rows.Scan(&r.SubjectKind, &r.SubjectID, &r.Dimension, &r.Day, &r.Value, &r.Views, &r.Plays, &r.Listeners, &r.Downloads, &r.Favourites); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DailyTotals sums q's rows over its days, one row per value, largest
// plays first (Day is empty). Listeners is then a sum of daily distinct
// listeners ("listener-days"), not distinct over the period. In a
// breakdown (any dimension but "all") a value seen only in page views,
// with no play, download or favourite, is left out: breakdowns describe
// listeners. It reads the same index range as Daily.
func (s *DB) DailyTotals(ctx context.Context, q DailyQuery) ([]DailyRow, error) {
	having := ""
	if q.Dimension != "all" {
		having = ` HAVING SUM(plays) + SUM(downloads) + SUM(favourites) > 0`
	}
	rows, err := s.query(ctx, `SELECT value, SUM(views), SUM(plays), SUM(listeners), SUM(downloads), SUM(favourites)
		FROM analytics_daily WHERE subject_kind = ? AND subject_id = ? AND dimension = ? AND day >= ? AND day <= ?
		GROUP BY value`+having+` ORDER BY SUM(plays) DESC, value`,
		q.SubjectKind, q.SubjectID, q.Dimension, q.From, q.To)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DailyRow
	for rows.Next() {
		r := DailyRow{SubjectKind: q.SubjectKind, SubjectID: q.SubjectID, Dimension: q.Dimension}
		if err := rows.Scan(&r.Value, &r.Views, &r.Plays, &r.Listeners, &r.Downloads, &r.Favourites); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
