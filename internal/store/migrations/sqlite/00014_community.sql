-- +goose Up
-- Comments on tracks, albums and artist pages, with one level of replies.
-- Exactly one of track_id, album_id, artist_id names what is commented.
-- body is the Markdown the member wrote; it is rendered and sanitised on
-- display. A comment deleted while it has replies keeps its row, with an
-- empty body and deleted_at set; an erased member's comment with replies
-- by others keeps its row with author_id NULL and an empty body.
CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    author_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
    track_id   INTEGER REFERENCES tracks (id) ON DELETE CASCADE,
    album_id   INTEGER REFERENCES albums (id) ON DELETE CASCADE,
    artist_id  INTEGER REFERENCES artists (id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    edited_at  TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX comments_track_idx ON comments (track_id, created_at);
CREATE INDEX comments_album_idx ON comments (album_id, created_at);
CREATE INDEX comments_artist_idx ON comments (artist_id, created_at);
CREATE INDEX comments_parent_idx ON comments (parent_id);
CREATE INDEX comments_author_idx ON comments (author_id);

-- Reviews of albums and tracks: one per member per item.
CREATE TABLE reviews (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    track_id   INTEGER REFERENCES tracks (id) ON DELETE CASCADE,
    album_id   INTEGER REFERENCES albums (id) ON DELETE CASCADE,
    score      INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, track_id),
    UNIQUE (member_id, album_id)
);
CREATE INDEX reviews_track_idx ON reviews (track_id);
CREATE INDEX reviews_album_idx ON reviews (album_id);

-- "This review was helpful": once per member per review.
CREATE TABLE review_helpful (
    review_id  INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_id, member_id)
);

-- Favourite tracks and albums.
CREATE TABLE favourites (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    track_id   INTEGER REFERENCES tracks (id) ON DELETE CASCADE,
    album_id   INTEGER REFERENCES albums (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, track_id),
    UNIQUE (member_id, album_id)
);

-- Follows of artists and of members.
CREATE TABLE follows (
    follower_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    member_id   INTEGER REFERENCES members (id) ON DELETE CASCADE,
    artist_id   INTEGER REFERENCES artists (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (follower_id, member_id),
    UNIQUE (follower_id, artist_id)
);
CREATE INDEX follows_member_idx ON follows (member_id);
CREATE INDEX follows_artist_idx ON follows (artist_id);

-- Playlists: id is random, as it names the link of an unlisted playlist.
CREATE TABLE playlists (
    id         TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    visibility TEXT NOT NULL DEFAULT 'private',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX playlists_member_idx ON playlists (member_id);

CREATE TABLE playlist_tracks (
    playlist_id TEXT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    track_id    INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    added_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (playlist_id, track_id)
);

-- What a member shows on their public page beyond the profile fields.
CREATE TABLE community_choices (
    member_id         INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    favourites_public BOOLEAN NOT NULL DEFAULT FALSE,
    follows_public    BOOLEAN NOT NULL DEFAULT FALSE,
    activity_public   BOOLEAN NOT NULL DEFAULT FALSE
);

-- +goose Down
DROP TABLE community_choices;
DROP TABLE playlist_tracks;
DROP TABLE playlists;
DROP TABLE follows;
DROP TABLE favourites;
DROP TABLE review_helpful;
DROP TABLE reviews;
DROP TABLE comments;
