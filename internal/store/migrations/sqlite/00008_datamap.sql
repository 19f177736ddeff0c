-- +goose Up
-- Accounts whose member asked for them to be erased: erasure runs at
-- erase_at (at once, or after a grace period that logging in cancels).
CREATE TABLE erasure_requests (
    member_id    INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    requested_at TIMESTAMP NOT NULL,
    erase_at     TIMESTAMP NOT NULL
);

-- Usernames of erased accounts that no one may register again, when the
-- site keeps them reserved: only a SHA-256 of the name's look-alike
-- skeleton (chorus.UsernameSkeleton) is kept, never the name.
CREATE TABLE reserved_usernames (
    skeleton_hash TEXT PRIMARY KEY,
    reserved_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE reserved_usernames;
DROP TABLE erasure_requests;
