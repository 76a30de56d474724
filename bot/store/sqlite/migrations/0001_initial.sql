-- newsbot schema, version 1.
-- Times are ISO-8601 UTC text with microseconds ("2024-05-01T12:00:00.000000+00:00"): one fixed width,
-- so text order is time order and indexes on them work for ranges.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    title           TEXT,
    site_url        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    poll_interval   INTEGER NOT NULL DEFAULT 900,
    next_poll_at    TEXT NOT NULL,
    failure_count   INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    last_error      TEXT,
    last_polled_at  TEXT,
    initialized     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
-- due_feeds: enabled feeds by due time
CREATE INDEX feeds_due_idx ON feeds (next_poll_at) WHERE disabled = 0;

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    include       TEXT,
    exclude       TEXT,
    paused        INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (channel_id, feed_id)
);
CREATE INDEX subscriptions_feed_idx ON subscriptions (feed_id);
-- guild scoping of search/latest/quotes: "feed_id IN (SELECT feed_id ... WHERE guild_id = ?)"
CREATE INDEX subscriptions_guild_idx ON subscriptions (guild_id, feed_id);

CREATE TABLE seen_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid    TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid)
) WITHOUT ROWID;

-- A story is a cluster of articles about the same event (wire copies across outlets).
CREATE TABLE stories (
    id           INTEGER PRIMARY KEY,
    created_at   TEXT NOT NULL,
    source_count INTEGER NOT NULL DEFAULT 1  -- distinct sources, kept up to date by add_article
);
CREATE INDEX stories_created_idx ON stories (created_at);

CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    story_id        INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    feed_id         INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    guid            TEXT NOT NULL,
    url             TEXT NOT NULL,
    canonical_url   TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    text            TEXT,             -- NULL once purged by retention
    text_source     TEXT NOT NULL,
    bullets         TEXT NOT NULL,    -- JSON array of strings
    quotes          TEXT NOT NULL,    -- JSON array of [text, speaker|null]
    word_count      INTEGER NOT NULL,
    reading_minutes INTEGER NOT NULL,
    reduction       REAL NOT NULL,
    author          TEXT,
    published_at    TEXT,
    site_name       TEXT,
    image_url       TEXT,
    language        TEXT,
    fingerprint     BLOB,
    created_at      TEXT NOT NULL,
    text_purged_at  TEXT
);
CREATE INDEX articles_story_idx ON articles (story_id, id);
-- latest per feed, digest candidates, unseen_guids fallback
CREATE INDEX articles_feed_idx ON articles (feed_id, id);
CREATE INDEX articles_feed_created_idx ON articles (feed_id, created_at);
CREATE INDEX articles_feed_guid_idx ON articles (feed_id, guid);
-- recent_fingerprints
CREATE INDEX articles_created_idx ON articles (created_at);
-- retention purge: only rows that still have text, so each run skips what earlier runs purged
CREATE INDEX articles_unpurged_idx ON articles (created_at) WHERE text IS NOT NULL;

CREATE TABLE quotes (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    text         TEXT NOT NULL,
    speaker      TEXT,
    speaker_norm TEXT,   -- casefolded, diacritics and honorifics removed: "gordon brown"
    speaker_last TEXT    -- last word of speaker_norm: "brown", so a surname alone finds the speaker
);
CREATE INDEX quotes_article_idx ON quotes (article_id);
CREATE INDEX quotes_speaker_idx ON quotes (speaker_norm) WHERE speaker_norm IS NOT NULL;
CREATE INDEX quotes_speaker_last_idx ON quotes (speaker_last) WHERE speaker_last IS NOT NULL;

-- The outbox: one row per (channel, story) ever queued, so a channel never gets a story twice.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL,
    subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE SET NULL,
    story_id        INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    message_id      INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (channel_id, story_id)
);
CREATE INDEX deliveries_pending_idx ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_pending_channel_idx ON deliveries (channel_id) WHERE status = 'pending';
CREATE INDEX deliveries_subscription_idx ON deliveries (subscription_id);
CREATE INDEX deliveries_story_idx ON deliveries (story_id);

CREATE TABLE digests (
    channel_id   INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    time_of_day  TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    next_due_at  TEXT NOT NULL,
    last_sent_at TEXT
);
CREATE INDEX digests_due_idx ON digests (next_due_at);

CREATE TABLE guild_settings (
    guild_id       INTEGER PRIMARY KEY,
    log_channel_id INTEGER
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Contentless full-text index (rowid = articles.id): the text already lives in `articles`, so it is
-- not stored twice. Retention deletes a row with its old values and re-inserts it without the text,
-- which keeps title, bullets and quotes searchable.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, bullets, quotes, text,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
