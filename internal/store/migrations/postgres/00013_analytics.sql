-- +goose Up
-- First-party analytics. analytics_events holds one row per event
-- (page view, play, download, search, favourite, follow, share) with the
-- parsed device and the truncated network only; member_id or visitor_id
-- is set only with analytics consent. Raw events are folded into
-- analytics_daily and deleted after the retention period.
CREATE TABLE analytics_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   TIMESTAMPTZ NOT NULL,
    kind          TEXT NOT NULL,
    track_id      BIGINT NOT NULL DEFAULT 0,
    album_id      BIGINT NOT NULL DEFAULT 0,
    artist_id     BIGINT NOT NULL DEFAULT 0,
    path          TEXT NOT NULL DEFAULT '',
    query         TEXT NOT NULL DEFAULT '',
    results       BIGINT NOT NULL DEFAULT 0,
    referrer_host TEXT NOT NULL DEFAULT '',
    browser       TEXT NOT NULL DEFAULT '',
    os            TEXT NOT NULL DEFAULT '',
    device        TEXT NOT NULL DEFAULT '',
    network       TEXT NOT NULL DEFAULT '',
    country       TEXT NOT NULL DEFAULT '',
    member_id     BIGINT,
    visitor_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX analytics_events_time_idx ON analytics_events (occurred_at);
CREATE INDEX analytics_events_member_idx ON analytics_events (member_id, occurred_at) WHERE member_id IS NOT NULL;

-- The full address of each recorded request, for security only, kept a
-- few days (--security-log-days).
CREATE TABLE security_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    ip          TEXT NOT NULL,
    member_id   BIGINT
);
CREATE INDEX security_log_time_idx ON security_log (occurred_at);
CREATE INDEX security_log_member_idx ON security_log (member_id) WHERE member_id IS NOT NULL;

-- Daily statistics per subject (a track, album or artist, or the whole
-- site as 'site' 0): one row per day, dimension and value. dimension
-- 'all' has value ''; in the breakdowns (device, browser, referrer,
-- country) a value seen by fewer than 5 distinct listeners is merged into
-- 'other'. day is 'YYYY-MM-DD' (UTC).
CREATE TABLE analytics_daily (
    subject_kind TEXT NOT NULL,
    subject_id   BIGINT NOT NULL,
    dimension    TEXT NOT NULL,
    day          TEXT NOT NULL,
    value        TEXT NOT NULL,
    views        BIGINT NOT NULL DEFAULT 0,
    plays        BIGINT NOT NULL DEFAULT 0,
    listeners    BIGINT NOT NULL DEFAULT 0,
    downloads    BIGINT NOT NULL DEFAULT 0,
    favourites   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (subject_kind, subject_id, dimension, day, value)
);
CREATE INDEX analytics_daily_day_idx ON analytics_daily (day, subject_kind, dimension);

-- The days already folded into analytics_daily.
CREATE TABLE analytics_rollups (
    day       TEXT PRIMARY KEY,
    rolled_at TIMESTAMPTZ NOT NULL
);

-- Members who paused their listening history: while paused nothing new is
-- linked to them.
CREATE TABLE history_pauses (
    member_id BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    paused_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE history_pauses;
DROP TABLE analytics_rollups;
DROP TABLE analytics_daily;
DROP TABLE security_log;
DROP TABLE analytics_events;
