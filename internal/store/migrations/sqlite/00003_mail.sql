-- +goose Up
-- Outgoing email: how many delivery attempts were made, and when the
-- queue gave up on a message (its body is then cleared too).
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMP;

-- +goose Down
ALTER TABLE outbox DROP COLUMN failed_at;
ALTER TABLE outbox DROP COLUMN attempts;
