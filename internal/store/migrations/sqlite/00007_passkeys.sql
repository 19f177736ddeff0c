-- +goose Up
-- Passkeys (WebAuthn credentials) members log in with. credential holds the
-- credential record of WebAuthn Level 3 §4 (public key, sign count, flags)
-- as JSON; the private key never leaves the member's authenticator.
CREATE TABLE member_passkeys (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX member_passkeys_member_idx ON member_passkeys (member_id);

-- The WebAuthn user handle: random, so it says nothing about the member.
ALTER TABLE members ADD COLUMN webauthn_handle TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE members DROP COLUMN webauthn_handle;
DROP TABLE member_passkeys;
