-- +goose Up
-- Co-listening reads the consented plays of one track, then the plays of
-- the same members or visitors.
CREATE INDEX analytics_events_track_idx ON analytics_events (track_id, kind) WHERE member_id IS NOT NULL OR visitor_id <> '';
CREATE INDEX analytics_events_visitor_idx ON analytics_events (visitor_id) WHERE visitor_id <> '';

-- The charts and the admin dashboard sum every subject of a kind over a
-- period: this index holds all they read, so the table is not visited.
CREATE INDEX analytics_daily_period_idx ON analytics_daily (subject_kind, dimension, day, subject_id, plays, downloads, favourites, listeners, views);

-- +goose Down
DROP INDEX analytics_daily_period_idx;
DROP INDEX analytics_events_visitor_idx;
DROP INDEX analytics_events_track_idx;
