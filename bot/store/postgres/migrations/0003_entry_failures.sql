-- Poison entries (SQLite 0004, the trust branch): an entry that fails every poll is retried with back-off
-- and given up after a bound; the feed row carries a summary for /feed list.
CREATE TABLE entry_failures (
    feed_id         bigint NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid            text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL,
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    gave_up         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (feed_id, guid)
);

ALTER TABLE feeds ADD COLUMN failing_entries integer NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN entry_error text;
