-- +goose Up
-- Discussions: categories that admins manage, threads in them, and the
-- posts of each thread, oldest first. A thread's first post is its
-- opening text. body is the Markdown the member wrote, rendered and
-- sanitised on display. A post deleted by its author or a moderator keeps
-- its row, with an empty body and deleted_at set, so that the numbering
-- of pages and the read markers of others stay right.
CREATE TABLE discussion_categories (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    archived_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE discussion_threads (
    id           INTEGER PRIMARY KEY,
    category_id  INTEGER NOT NULL REFERENCES discussion_categories (id) ON DELETE CASCADE,
    author_id    INTEGER REFERENCES members (id) ON DELETE SET NULL,
    title        TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_post_at TIMESTAMP NOT NULL,
    pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    locked       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX discussion_threads_category_idx ON discussion_threads (category_id, pinned, last_post_at);
CREATE INDEX discussion_threads_author_idx ON discussion_threads (author_id);

CREATE TABLE discussion_posts (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES discussion_threads (id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    edited_at  TIMESTAMP,
    deleted_at TIMESTAMP,
    deleted_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX discussion_posts_thread_idx ON discussion_posts (thread_id, id);
CREATE INDEX discussion_posts_author_idx ON discussion_posts (author_id);

-- How far each member has read each thread: the last post seen.
CREATE TABLE discussion_reads (
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    thread_id    INTEGER NOT NULL REFERENCES discussion_threads (id) ON DELETE CASCADE,
    last_post_id INTEGER NOT NULL,
    PRIMARY KEY (member_id, thread_id)
);

-- What moderators did to a thread (pin, lock, delete a post): shown in
-- the thread as "by a moderator", with the time.
CREATE TABLE discussion_events (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES discussion_threads (id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    post_id    INTEGER,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX discussion_events_thread_idx ON discussion_events (thread_id, created_at);
CREATE INDEX discussion_events_actor_idx ON discussion_events (actor_id);

-- +goose Down
DROP TABLE discussion_events;
DROP TABLE discussion_reads;
DROP TABLE discussion_posts;
DROP TABLE discussion_threads;
DROP TABLE discussion_categories;
