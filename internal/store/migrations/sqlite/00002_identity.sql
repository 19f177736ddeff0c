-- +goose Up
-- Identity: roles, verification, suspension, profile, two-factor.
ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
-- The Unicode TR #39 skeleton of the username: look-alike names are refused.
-- Filled in by the program for rows that predate it.
ALTER TABLE members ADD COLUMN username_skeleton TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN email_verified_at TIMESTAMP;
ALTER TABLE members ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE members ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN password_changed_at TIMESTAMP;
ALTER TABLE members ADD COLUMN real_name TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN real_name_public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN location_public BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN bio_public BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE members ADD COLUMN links TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN links_public BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE members ADD COLUMN picture_key TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN picture_public BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE members ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE members ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

CREATE INDEX members_username_skeleton_idx ON members (username_skeleton);

-- One row per logged-in browser, beside the session store's own row:
-- what the sessions page lists and what ending a session deletes.
CREATE TABLE member_sessions (
    id               TEXT PRIMARY KEY,
    member_id        INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at       TIMESTAMP NOT NULL,
    last_seen_at     TIMESTAMP NOT NULL,
    authenticated_at TIMESTAMP NOT NULL,
    ip_prefix        TEXT NOT NULL DEFAULT '',
    browser          TEXT NOT NULL DEFAULT '',
    os               TEXT NOT NULL DEFAULT '',
    device           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX member_sessions_member_idx ON member_sessions (member_id);

-- Single-use tokens sent by email; only a SHA-256 of the token is kept.
CREATE TABLE member_tokens (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX member_tokens_member_idx ON member_tokens (member_id, purpose);

-- Two-factor recovery codes; only a hash of each is kept.
CREATE TABLE recovery_codes (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (member_id, code_hash)
);

-- Accounts at third-party sign-in providers linked to members.
CREATE TABLE member_identities (
    id             INTEGER PRIMARY KEY,
    member_id      INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    display_name   TEXT NOT NULL DEFAULT '',
    avatar_url     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX member_identities_member_idx ON member_identities (member_id);

-- Failed-attempt counters behind the growing delays on login, sign-up,
-- password reset and verification.
CREATE TABLE rate_limits (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    window_start    TIMESTAMP NOT NULL,
    next_allowed_at TIMESTAMP NOT NULL
);

-- Outgoing email. The rendered body is kept until the message is sent,
-- then cleared; the row stays as the send log.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    to_address  TEXT NOT NULL,
    template    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        BLOB NOT NULL,
    eml_key     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_created_idx ON outbox (created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE rate_limits;
DROP TABLE member_identities;
DROP TABLE recovery_codes;
DROP TABLE member_tokens;
DROP TABLE member_sessions;
DROP INDEX members_username_skeleton_idx;
ALTER TABLE members DROP COLUMN username_skeleton;
ALTER TABLE members DROP COLUMN role;
ALTER TABLE members DROP COLUMN email_verified_at;
ALTER TABLE members DROP COLUMN suspended_at;
ALTER TABLE members DROP COLUMN suspended_reason;
ALTER TABLE members DROP COLUMN password_changed_at;
ALTER TABLE members DROP COLUMN real_name;
ALTER TABLE members DROP COLUMN real_name_public;
ALTER TABLE members DROP COLUMN location;
ALTER TABLE members DROP COLUMN location_public;
ALTER TABLE members DROP COLUMN bio;
ALTER TABLE members DROP COLUMN bio_public;
ALTER TABLE members DROP COLUMN links;
ALTER TABLE members DROP COLUMN links_public;
ALTER TABLE members DROP COLUMN picture_key;
ALTER TABLE members DROP COLUMN picture_public;
ALTER TABLE members DROP COLUMN totp_secret;
ALTER TABLE members DROP COLUMN totp_enabled_at;
ALTER TABLE members DROP COLUMN totp_last_step;
