-- +goose Up
-- In-app notifications: one row per event and recipient (event_key names
-- the event, e.g. 'mention:12'). actor_id is the member whose action
-- caused it (NULL for a moderation decision): erasing them deletes the
-- notifications about them, as the text names them.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES members (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    event_key  TEXT NOT NULL,
    text       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    UNIQUE (member_id, event_key)
);
CREATE INDEX notifications_member_idx ON notifications (member_id, id);
CREATE INDEX notifications_actor_idx ON notifications (actor_id);

-- What of their activity a member shares with their followers beyond
-- what is public anyway, per kind ('favourites', 'reviews', 'comments').
-- A kind without a row shares only what is public.
CREATE TABLE activity_sharing (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    shared     BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, kind)
);

-- +goose Down
DROP TABLE activity_sharing;
DROP TABLE notifications;
