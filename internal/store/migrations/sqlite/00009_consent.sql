-- +goose Up
-- The consent ledger (GDPR Art. 7(1)): one row per choice, never changed
-- afterwards; a new choice is a new row, and the latest one counts. A row
-- belongs to a member, or to a visitor known only by the SHA-256 of the
-- random id in their chorus_consent cookie. given and refused list purposes
-- separated by commas; wording is the exact text that was shown; carried_from
-- is the visitor row a member row copies (no foreign key: the visitor row
-- may expire first, and the rows are never updated).
CREATE TABLE consent_records (
    id             INTEGER PRIMARY KEY,
    member_id      INTEGER REFERENCES members (id) ON DELETE CASCADE,
    visitor_hash   TEXT,
    given          TEXT NOT NULL DEFAULT '',
    refused        TEXT NOT NULL DEFAULT '',
    signal         TEXT NOT NULL DEFAULT '',
    policy_version TEXT NOT NULL,
    wording        TEXT NOT NULL,
    source         TEXT NOT NULL,
    carried_from   INTEGER,
    created_at     TIMESTAMP NOT NULL,
    CHECK (member_id IS NOT NULL OR visitor_hash IS NOT NULL)
);
CREATE INDEX consent_records_member_idx ON consent_records (member_id, id);
CREATE INDEX consent_records_visitor_idx ON consent_records (visitor_hash, id);

-- Append-only: a recorded choice cannot be rewritten. Rows are only ever
-- deleted, by retention and by erasure.
-- +goose StatementBegin
CREATE TRIGGER consent_records_append_only BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER consent_records_append_only;
DROP TABLE consent_records;
