package analytics

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"chorus/internal/store"
)

// MinListeners is the smallest number of distinct people a breakdown cell
// may describe: a value (a browser, a referrer, ...) seen by fewer is
// merged into Other, so that no one can be singled out in published
// statistics (k-anonymity with k = 5).
const MinListeners = 5

// Other is the value of the breakdown cell that gathers values seen by
// fewer than MinListeners people.
const Other = "other"

// The dimensions of analytics_daily.
const (
	DimAll      = "all"
	DimDevice   = "device"
	DimBrowser  = "browser"
	DimReferrer = "referrer"
	DimCountry  = "country"
)

// Subject kinds of analytics_daily; the whole site is SubjectSite with id 0.
const (
	SubjectTrack  = "track"
	SubjectAlbum  = "album"
	SubjectArtist = "artist"
	SubjectSite   = "site"
)

// ListenerKey is who an event counts as when counting distinct people:
// the member, the visitor's random id, or, for an event without an
// identifier, its truncated network with its browser, system and device
// (so that anonymous people are counted coarsely, never more finely than
// that). Events anonymised by erasure all share one key.
func ListenerKey(e store.Event) string {
	switch {
	case e.MemberID != 0:
		return "m" + strconv.FormatInt(e.MemberID, 10)
	case e.VisitorID != "":
		return "v" + e.VisitorID
	}
	return "n" + e.Network + "|" + e.Browser + "|" + e.OS + "|" + e.Device
}

type cellKey struct {
	kind      string
	id        int64
	dimension string
	value     string
}

type cell struct {
	row       store.DailyRow
	people    map[string]struct{} // anyone behind an event of the cell
	listeners map[string]struct{} // who played
	// downloads and favourites hold who downloaded or favourited what
	// (person and track or album): each counts once a day, however often
	// it is repeated (a favourite taken back and given again, a file
	// fetched again).
	downloads  map[string]struct{}
	favourites map[string]struct{}
}

func newCell(row store.DailyRow) *cell {
	return &cell{row: row, people: map[string]struct{}{}, listeners: map[string]struct{}{},
		downloads: map[string]struct{}{}, favourites: map[string]struct{}{}}
}

func (c *cell) add(e store.Event, who string) {
	c.people[who] = struct{}{}
	switch Kind(e.Kind) {
	case PageView:
		c.row.Views++
	case Play:
		c.row.Plays++
		c.listeners[who] = struct{}{}
	case Download:
		c.downloads[who+"|t"+strconv.FormatInt(e.TrackID, 10)] = struct{}{}
	case Favourite:
		c.favourites[who+"|t"+strconv.FormatInt(e.TrackID, 10)+"|a"+strconv.FormatInt(e.AlbumID, 10)] = struct{}{}
	}
}

// Aggregate computes the daily rows of one day's events: per subject (the
// track, album and artist of each event, and the site) the totals
// (DimAll) and the breakdowns by device type, browser, referrer host and
// country, where any value seen by fewer than MinListeners people is
// merged into Other. Listeners counts distinct people who played;
// Downloads and Favourites count each person's download or favourite of
// each track or album once, however often they repeat it that day.
func Aggregate(events func(fn func(store.Event) error) error) ([]store.DailyRow, error) {
	cells := map[cellKey]*cell{}
	get := func(k cellKey) *cell {
		c := cells[k]
		if c == nil {
			c = newCell(store.DailyRow{SubjectKind: k.kind, SubjectID: k.id, Dimension: k.dimension, Value: k.value})
			cells[k] = c
		}
		return c
	}
	err := events(func(e store.Event) error {
		who := ListenerKey(e)
		type subject struct {
			kind string
			id   int64
		}
		subjects := []subject{{SubjectSite, 0}}
		if e.TrackID != 0 {
			subjects = append(subjects, subject{SubjectTrack, e.TrackID})
		}
		if e.AlbumID != 0 {
			subjects = append(subjects, subject{SubjectAlbum, e.AlbumID})
		}
		if e.ArtistID != 0 {
			subjects = append(subjects, subject{SubjectArtist, e.ArtistID})
		}
		for _, s := range subjects {
			get(cellKey{s.kind, s.id, DimAll, ""}).add(e, who)
			get(cellKey{s.kind, s.id, DimDevice, e.Device}).add(e, who)
			get(cellKey{s.kind, s.id, DimBrowser, e.Browser}).add(e, who)
			get(cellKey{s.kind, s.id, DimReferrer, e.Referrer}).add(e, who)
			get(cellKey{s.kind, s.id, DimCountry, e.Country}).add(e, who)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Merge the small cells of each breakdown into Other.
	for k, c := range cells {
		if k.dimension == DimAll || len(c.people) >= MinListeners {
			continue
		}
		delete(cells, k)
		o := get(cellKey{k.kind, k.id, k.dimension, Other})
		o.row.Views += c.row.Views
		o.row.Plays += c.row.Plays
		for _, m := range [][2]map[string]struct{}{{o.people, c.people}, {o.listeners, c.listeners}, {o.downloads, c.downloads}, {o.favourites, c.favourites}} {
			for p := range m[1] {
				m[0][p] = struct{}{}
			}
		}
	}
	rows := make([]store.DailyRow, 0, len(cells))
	for _, c := range cells {
		c.row.Listeners = int64(len(c.listeners))
		c.row.Downloads = int64(len(c.downloads))
		c.row.Favourites = int64(len(c.favourites))
		rows = append(rows, c.row)
	}
	slices.SortFunc(rows, func(a, b store.DailyRow) int {
		return cmp.Or(cmp.Compare(a.SubjectKind, b.SubjectKind), cmp.Compare(a.SubjectID, b.SubjectID),
			cmp.Compare(a.Dimension, b.Dimension), cmp.Compare(a.Value, b.Value))
	})
	return rows, nil
}

// RollUpDay recomputes the aggregates of the UTC day from its raw events
// and records the day as rolled up.
func RollUpDay(ctx context.Context, db *store.DB, day time.Time) error {
	rows, err := Aggregate(func(fn func(store.Event) error) error { return db.EachEventOfDay(ctx, day, fn) })
	if err != nil {
		return err
	}
	return db.ReplaceDay(ctx, day, rows)
}

// Maintain is the scheduled job: it rolls up every finished day (before
// today, UTC) not rolled up yet, brings the precomputed period totals up
// to date for the day of now (see PrecomputePeriods), then deletes raw events older than
// retention (which are rolled up by then) and security log entries older
// than securityLog. It returns how many events and log entries it deleted.
func Maintain(ctx context.Context, db *store.DB, now time.Time, retention, securityLog time.Duration) (events, logs int64, err error) {
	// An hour's margin lets events of the day before still in a batch land.
	today := now.Add(-time.Hour).UTC().Truncate(24 * time.Hour)
	var from time.Time
	if last, rolled, err := db.LastRolledDay(ctx); err != nil {
		return 0, 0, err
	} else if rolled {
		from = last.Add(24 * time.Hour)
	}
	for {
		var day time.Time
		var ok bool
		if day, ok, err = db.FirstEventDay(ctx, from, today); err != nil || !ok {
			break
		}
		if err = RollUpDay(ctx, db, day); err != nil {
			break
		}
		from = day.Add(24 * time.Hour)
	}
	if err != nil {
		return 0, 0, err
	}
	if _, err = PrecomputePeriods(ctx, db, now); err != nil {
		return 0, 0, err
	}
	if events, err = db.DeleteEventsBefore(ctx, now.Add(-retention)); err != nil {
		return events, 0, err
	}
	logs, err = db.DeleteSecurityLog(ctx, now.Add(-securityLog))
	return events, logs, err
}
