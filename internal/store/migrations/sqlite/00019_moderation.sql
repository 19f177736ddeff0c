-- +goose Up
-- Reports of content by members. kind is "comment", "review", "track",
-- "playlist" or "member"; target_id its id (a playlist's id is text, kept
-- in target_key). author_id is the member the content belongs to, kept so
-- that a member cannot report their own content and the author can be
-- told. A member reports one thing once: UNIQUE makes a second report by
-- the same member count once.
CREATE TABLE reports (
    id          INTEGER PRIMARY KEY,
    reporter_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    target_key  TEXT NOT NULL,
    author_id   INTEGER REFERENCES members (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    closed_at   TIMESTAMP,
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
    author_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    appeal      TEXT NOT NULL DEFAULT '',
    appealed_at TIMESTAMP,
    PRIMARY KEY (kind, target_key)
);
CREATE INDEX moderated_author_idx ON moderated (author_id);

-- The moderation log: every moderator action, by whom, on what, about
-- whom and why. No foreign keys: the log outlives the accounts it names.
-- Append-only: the triggers refuse every change, and every deletion
-- before the 3 years it is kept for have passed.
CREATE TABLE moderation_log (
    id           INTEGER PRIMARY KEY,
    created_at   TIMESTAMP NOT NULL,
    moderator_id INTEGER NOT NULL,
    action       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target_key   TEXT NOT NULL,
    author_id    INTEGER,
    reason       TEXT NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log
WHEN OLD.created_at > datetime('now', '-3 years')
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
-- +goose StatementEnd

-- Blocks: blocker_id blocked blocked_id.
CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

-- +goose Down
DROP TABLE blocks;
DROP TRIGGER moderation_log_no_delete;
DROP TRIGGER moderation_log_no_update;
DROP TABLE moderation_log;
DROP TABLE moderated;
DROP TABLE reports;
