-- +goose Up
-- The enquiries inbox: comments, enquiries and data-subject requests
-- (GDPR Arts. 15-21) sent through the contact form. reference is what the
-- requester quotes; member_id is set when a logged-in member wrote; due_at
-- is the legal deadline of a data-subject request (GDPR Art. 12(3)).
CREATE TABLE requests (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'new',
    member_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    due_at      TIMESTAMP,
    extended    TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX requests_status_idx ON requests (status, received_at);
CREATE INDEX requests_member_idx ON requests (member_id);

-- The history of each request: every message and status change, never
-- changed afterwards. author_id is the staff member who acted (NULL for
-- the requester); no foreign key, so that the history outlives accounts.
CREATE TABLE request_events (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    type       TEXT NOT NULL,
    author_id  INTEGER,
    status     TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX request_events_request_idx ON request_events (request_id, id);

-- Requests from authorities for members' data, with their scope.
-- categories lists data categories separated by commas; period_from and
-- period_to bound the rows exported (inclusive, dates as UTC midnight).
CREATE TABLE legal_requests (
    id          INTEGER PRIMARY KEY,
    authority   TEXT NOT NULL,
    reference   TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    member_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    categories  TEXT NOT NULL,
    period_from TIMESTAMP NOT NULL,
    period_to   TIMESTAMP NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    file_key    TEXT NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    closed_at   TIMESTAMP
);
CREATE INDEX legal_requests_created_idx ON legal_requests (created_at);

-- The access log: who on the staff saw which member's private data, when
-- and why, and every step of a legal request. No foreign keys: the log
-- outlives the accounts it names. Append-only: the triggers refuse every
-- change, and every deletion before the 3 years it is kept for have passed.
CREATE TABLE access_log (
    id               INTEGER PRIMARY KEY,
    created_at       TIMESTAMP NOT NULL,
    actor_id         INTEGER NOT NULL,
    action           TEXT NOT NULL,
    subject_id       INTEGER,
    what             TEXT NOT NULL,
    reason           TEXT NOT NULL,
    legal_request_id INTEGER
);
CREATE INDEX access_log_subject_idx ON access_log (subject_id, id);
CREATE INDEX access_log_legal_idx ON access_log (legal_request_id, id);

-- +goose StatementBegin
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
WHEN OLD.created_at > datetime('now', '-3 years')
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'the history of a request is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER request_events_no_update;
DROP TRIGGER access_log_no_delete;
DROP TRIGGER access_log_no_update;
DROP TABLE access_log;
DROP TABLE legal_requests;
DROP TABLE request_events;
DROP TABLE requests;
