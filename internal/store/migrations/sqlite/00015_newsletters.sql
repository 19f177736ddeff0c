-- +goose Up
-- Email beyond the account's own messages: notification preferences,
-- events waiting for a daily digest, unsubscribe tokens and newsletters.

-- A member's choice for one category of email: 'off', 'immediate' or
-- 'digest' ('newsletter' is 'immediate' when subscribed). A category
-- without a row has its default (see internal/notify).
CREATE TABLE email_preferences (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    delivery   TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, category)
);

-- Notifications waiting for the member's daily digest; a row is deleted
-- in the transaction that queues the digest holding it.
CREATE TABLE digest_events (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX digest_events_member_idx ON digest_events (member_id, id);

-- Unsubscribe links (RFC 2369, RFC 8058): only the SHA-256 of each
-- random token is kept.
CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX unsubscribe_tokens_member_idx ON unsubscribe_tokens (member_id);

-- Newsletters written by the site's admins, in Markdown.
CREATE TABLE newsletters (
    id              INTEGER PRIMARY KEY,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    send_started_at TIMESTAMP
);

-- One row per member a newsletter goes to, all made in the transaction
-- that starts the sending; each is marked in the transaction that queues
-- its message, so that a restart sends nobody twice.
CREATE TABLE newsletter_recipients (
    newsletter_id INTEGER NOT NULL REFERENCES newsletters (id) ON DELETE CASCADE,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending',
    outbox_id     INTEGER,
    done_at       TIMESTAMP,
    PRIMARY KEY (newsletter_id, member_id)
);
CREATE INDEX newsletter_recipients_pending_idx ON newsletter_recipients (status, newsletter_id);
CREATE INDEX newsletter_recipients_member_idx ON newsletter_recipients (member_id);

-- +goose Down
DROP TABLE newsletter_recipients;
DROP TABLE newsletters;
DROP TABLE unsubscribe_tokens;
DROP TABLE digest_events;
DROP TABLE email_preferences;
