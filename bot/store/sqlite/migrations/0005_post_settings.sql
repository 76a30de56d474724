-- Per-subscription delivery settings (issue 11): how a channel's stories from one feed look and are posted.
-- One row per subscription that changed anything; no row means the defaults (full embed, bot account).
CREATE TABLE subscription_settings (
    subscription_id  INTEGER PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    look             TEXT NOT NULL DEFAULT 'full' CHECK (look IN ('full', 'compact', 'text')),
    bullets          INTEGER,            -- NULL: as summarized
    quotes           INTEGER NOT NULL DEFAULT 1,
    colour           INTEGER,            -- 0xRRGGBB, NULL: the default colour
    webhook          INTEGER NOT NULL DEFAULT 0,   -- post through a channel webhook named after the feed
    thread_per_story INTEGER NOT NULL DEFAULT 0,
    auto_publish     INTEGER NOT NULL DEFAULT 0,   -- announcement channels: crosspost each story
    forum_tag_id     INTEGER,            -- forum channels: tag applied to each story's post
    ping_role_id     INTEGER,
    ping_keywords    TEXT,               -- comma-separated; NULL: every story pings
    paused_at        TEXT                -- set by /feed pause: stories stored since then were missed
);

-- A webhook the bot created in a channel, reused for every feed posting there through a webhook.
CREATE TABLE channel_webhooks (
    channel_id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL,
    token      TEXT NOT NULL
);
