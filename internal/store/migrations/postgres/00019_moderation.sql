-- +goose Up
-- Reports of content by members. kind is "comment", "review", "track",
-- "playlist" or "member"; target_id its id (a playlist's id is text, kept
-- in target_key). author_id is the member the content belongs to, kept so
-- that a member cannot report their own content and the author can be
-- told. A member reports one thing once: UNIQUE makes a second report by
-- the same member count once.
CREATE TABLE reports (
    id          BIGSERIAL PRIMARY KEY,
    reporter_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    target_key  TEXT NOT NULL,
    author_id   BIGINT REFERENCES members (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ,
    UNIQUE (reporter_id, kind, target_key)
);
CREATE INDEX reports_open_idx ON reports (closed_at, kind, target_key);

-- The moderation state of a comment or a review that is not plainly
-- published: "hidden" by a moderator, or "held" for review by the spam
-- signals. Its author and moderators see it; nobody else. appeal is the
-- author's one appeal against a hiding, appealed_at when it was made.
CREATE TABLE moderated (
    kind        TEXT NOT NULL,
    target_key  TEXT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    appeal      TEXT NOT NULL DEFAULT '',
    appealed_at TIMESTAMPTZ,
    PRIMARY KEY (kind, target_key)
);
CREATE INDEX moderated_author_idx ON moderated (author_id);

-- The moderation log: every moderator action, by whom, on what, about
-- whom and why. No foreign keys: the log outlives the accounts it names.
-- Append-only: the triggers refuse every change, and every deletion
-- before the 3 years it is kept for have passed.
CREATE TABLE moderation_log (
    id           BIGSERIAL PRIMARY KEY,
    created_at   TIMESTAMPTZ NOT NULL,
    moderator_id BIGINT NOT NULL,
    action       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target_key   TEXT NOT NULL,
    author_id    BIGINT,
    reason       TEXT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION moderation_log_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the moderation log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log
    FOR EACH ROW EXECUTE FUNCTION moderation_log_refuse_change();
CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log
    FOR EACH ROW WHEN (OLD.created_at > now() - INTERVAL '3 years') EXECUTE FUNCTION moderation_log_refuse_change();
CREATE TRIGGER moderation_log_no_truncate BEFORE TRUNCATE ON moderation_log
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_log_refuse_change();

-- Blocks: blocker_id blocked blocked_id.
CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

-- +goose Down
DROP TABLE blocks;
DROP TRIGGER moderation_log_no_truncate ON moderation_log;
DROP TRIGGER moderation_log_no_delete ON moderation_log;
DROP TRIGGER moderation_log_no_update ON moderation_log;
DROP FUNCTION moderation_log_refuse_change();
DROP TABLE moderation_log;
DROP TABLE moderated;
DROP TABLE reports;
