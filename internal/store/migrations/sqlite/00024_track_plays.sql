-- +goose Up
-- Each track's play count moves out of the tracks row into a narrow table
-- of its own: counting a batch of plays then rewrites a few small pages
-- instead of every played track's whole row (with its waveform peaks).
CREATE TABLE track_plays (
    track_id INTEGER PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    plays    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO track_plays (track_id, plays) SELECT id, plays FROM tracks WHERE plays > 0;
ALTER TABLE tracks DROP COLUMN plays;

-- +goose Down
ALTER TABLE tracks ADD COLUMN plays INTEGER NOT NULL DEFAULT 0;
UPDATE tracks SET plays = COALESCE((SELECT p.plays FROM track_plays p WHERE p.track_id = tracks.id), 0);
DROP TABLE track_plays;
