-- Poison entries: an entry that fails every poll (a title SQLite rejects, a page that crashes the
-- extractor) is retried with back-off and given up after a bound, instead of being retried forever
-- unseen. Each failing entry's error and attempts are kept; the feed row carries a summary for /feed list.
CREATE TABLE entry_failures (
    feed_id         INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid            TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_failed_at  TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    gave_up         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (feed_id, guid)
) WITHOUT ROWID;

ALTER TABLE feeds ADD COLUMN failing_entries INTEGER NOT NULL DEFAULT 0;  -- rows of entry_failures
ALTER TABLE feeds ADD COLUMN entry_error TEXT;                          -- the latest one's error
