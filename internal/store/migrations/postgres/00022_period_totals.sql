-- +goose Up
-- Each subject's totals over the periods the dashboards and charts show
-- (the last 7 days, 30 days, 12 months, the chart weeks and months and
-- all time), summed from analytics_daily when days are rolled up, so a
-- page reads a top list instead of summing a year of daily rows.
CREATE TABLE analytics_period_totals (
    from_day     TEXT NOT NULL,
    to_day       TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   BIGINT NOT NULL,
    views        BIGINT NOT NULL DEFAULT 0,
    plays        BIGINT NOT NULL DEFAULT 0,
    listeners    BIGINT NOT NULL DEFAULT 0,
    downloads    BIGINT NOT NULL DEFAULT 0,
    favourites   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (from_day, to_day, subject_kind, subject_id)
);
-- A period's top list of a kind, largest plays first.
CREATE INDEX analytics_period_totals_rank_idx ON analytics_period_totals (from_day, to_day, subject_kind, plays DESC, subject_id);

-- Every period with totals or being summed. complete is set in the
-- transaction that writes the totals; rolling a day of the period up again
-- clears it and counts one more generation, which tells a summing under
-- way that its sums are stale.
CREATE TABLE analytics_period_windows (
    from_day    TEXT NOT NULL,
    to_day      TEXT NOT NULL,
    complete    BOOLEAN NOT NULL DEFAULT FALSE,
    generation  BIGINT NOT NULL DEFAULT 0,
    computed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (from_day, to_day)
);

-- +goose Down
DROP TABLE analytics_period_windows;
DROP TABLE analytics_period_totals;
