package store

import (
	"context"
	"database/sql"
	"time"
)

// VenueSubscribed reports whether the member holds a venue subscription
// valid at now: a paid order of a product of kind "venue" whose licence
// was issued, running from its payment for one period of the product
// ("month" or "year"; a product without a period runs for a month).
func (s *DB) VenueSubscribed(ctx context.Context, memberID int64, now time.Time) (bool, error) {
	rows, err := s.query(ctx, `SELECT o.paid_at, p.period FROM pro_orders o
		JOIN pro_licences l ON l.order_id = o.id
		JOIN pro_products p ON p.id = o.product_id
		WHERE o.member_id = ? AND o.status = ? AND p.kind = 'venue'`, memberID, OrderPaid)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var paid sql.NullTime
		var period string
		if err := rows.Scan(&paid, &period); err != nil {
			return false, err
		}
		if !paid.Valid {
			continue
		}
		end := paid.Time.AddDate(0, 1, 0)
		if period == "year" {
			end = paid.Time.AddDate(1, 0, 0)
		}
		if !paid.Time.After(now) && now.Before(end) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// RadioChannel is a tag (genre or mood) with the number of public tracks
// a PRO licence may be sold for now.
type RadioChannel struct {
	Tag    string
	Tracks int
}

// RadioChannels lists the tags with at least min sellable public tracks
// (the condition of ProSellable), by tag.
func (s *DB) RadioChannels(ctx context.Context, agreementVersion string, min int) ([]RadioChannel, error) {
	rows, err := s.query(ctx, `SELECT g.tag, COUNT(*) FROM track_tags g JOIN tracks t ON t.id = g.track_id
		WHERE `+publicTrack+` AND `+sellableTrack+`
		GROUP BY g.tag HAVING COUNT(*) >= ? ORDER BY g.tag`, agreementVersion, min)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RadioChannel
	for rows.Next() {
		var c RadioChannel
		if err := rows.Scan(&c.Tag, &c.Tracks); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
