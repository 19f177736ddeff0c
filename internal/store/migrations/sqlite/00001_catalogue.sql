-- +goose Up
CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- Server-side sessions, in the layout of github.com/alexedwards/scs/sqlite3store.
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE artists (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    slug        TEXT NOT NULL UNIQUE,
    bio         TEXT NOT NULL DEFAULT '',
    picture_key TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX artists_member_idx ON artists (member_id);

CREATE TABLE albums (
    id         INTEGER PRIMARY KEY,
    artist_id  INTEGER NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    title_key  TEXT NOT NULL,
    slug       TEXT NOT NULL,
    year       INTEGER NOT NULL DEFAULT 0,
    cover_key  TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (artist_id, title_key)
);

CREATE TABLE tracks (
    id                INTEGER PRIMARY KEY,
    artist_id         INTEGER NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    album_id          INTEGER REFERENCES albums (id) ON DELETE SET NULL,
    title             TEXT NOT NULL,
    track_number      INTEGER NOT NULL DEFAULT 0,
    disc_number       INTEGER NOT NULL DEFAULT 0,
    year              INTEGER NOT NULL DEFAULT 0,
    licence_id        TEXT NOT NULL DEFAULT '',
    download_original BOOLEAN NOT NULL DEFAULT FALSE,
    status            TEXT NOT NULL,
    processing_error  TEXT NOT NULL DEFAULT '',
    published         BOOLEAN NOT NULL DEFAULT FALSE,
    published_at      TIMESTAMP,
    original_key      TEXT NOT NULL,
    original_format   TEXT NOT NULL,
    original_mime     TEXT NOT NULL,
    original_size     INTEGER NOT NULL,
    original_name     TEXT NOT NULL DEFAULT '',
    content_hash      TEXT NOT NULL,
    stream_key        TEXT NOT NULL DEFAULT '',
    stream_size       INTEGER NOT NULL DEFAULT 0,
    stream_hash       TEXT NOT NULL DEFAULT '',
    duration_ms       INTEGER NOT NULL DEFAULT 0,
    peaks             TEXT NOT NULL DEFAULT '',
    cover_key         TEXT NOT NULL DEFAULT '',
    plays             INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    UNIQUE (artist_id, content_hash)
);
CREATE INDEX tracks_album_idx ON tracks (album_id, disc_number, track_number);
CREATE INDEX tracks_public_idx ON tracks (published, status, published_at);

CREATE TABLE track_tags (
    track_id INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (track_id, tag)
);
CREATE INDEX track_tags_tag_idx ON track_tags (tag);

-- Full-text search over public tracks, albums and artists. body holds
-- lower-cased text with accents removed (done in Go, the same for both
-- databases); remove_diacritics covers what Go left.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    body,
    kind UNINDEXED,
    ref_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- +goose Down
DROP TABLE search_fts;
DROP TABLE track_tags;
DROP TABLE tracks;
DROP TABLE albums;
DROP TABLE artists;
DROP TABLE sessions;
DROP TABLE members;
