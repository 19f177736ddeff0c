-- +goose Up
-- Members' exports of their data (GDPR Art. 15 and 20): one row per
-- request. id is random, as it names the download link; file_key is the
-- ZIP in the file store once status is 'ready'.
CREATE TABLE exports (
    id         TEXT PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'pending',
    file_key   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    ready_at   TIMESTAMPTZ,
    expires_at TIMESTAMPTZ
);
CREATE INDEX exports_member_idx ON exports (member_id, created_at);

-- +goose Down
DROP TABLE exports;
