-- Units of work with leases (lease_owner "<host>:<pid>:<random>", lease_expires_at as the other times):
-- a process claims a due feed, a channel's delivery lane or a due digest; a lease whose owner died expires
-- and another process takes the work over.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_expires_at TEXT;
ALTER TABLE digests ADD COLUMN lease_owner TEXT;
ALTER TABLE digests ADD COLUMN lease_expires_at TEXT;

CREATE TABLE delivery_lanes (
    channel_id       INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT
);

-- lane_deliveries: one channel's pending rows in id order
CREATE INDEX deliveries_lane_idx ON deliveries (channel_id, id, next_attempt_at) WHERE status = 'pending';

-- Messages for a guild's log channel written by any process (an ingest process has no Discord connection),
-- sent by a Discord process: a filter that timed out on a story, a feed disabled after failures.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER,            -- where to post when the guild has no log channel (NULL: log only)
    text       TEXT NOT NULL,
    key        TEXT,               -- what the notice is about, so a repeat within the hour is skipped
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
CREATE INDEX notices_unsent_idx ON notices (id) WHERE sent_at IS NULL;
CREATE INDEX notices_key_idx ON notices (guild_id, key, created_at) WHERE key IS NOT NULL;
