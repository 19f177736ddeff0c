-- +goose Up
-- Co-listening reads the consented plays of one track, then the plays of
-- the same members or visitors.
CREATE INDEX analytics_events_track_idx ON analytics_events (track_id, kind) WHERE member_id IS NOT NULL OR visitor_id <> '';
CREATE INDEX analytics_events_visitor_idx ON analytics_events (visitor_id) WHERE visitor_id <> '';

-- +goose Down
DROP INDEX analytics_events_visitor_idx;
DROP INDEX analytics_events_track_idx;
