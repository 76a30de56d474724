-- Per-subscription delivery settings and channel webhooks (SQLite 0005, the discord branch).
CREATE TABLE subscription_settings (
    subscription_id  bigint PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
    look             text NOT NULL DEFAULT 'full' CHECK (look IN ('full', 'compact', 'text')),
    bullets          integer,
    quotes           boolean NOT NULL DEFAULT true,
    colour           integer,
    webhook          boolean NOT NULL DEFAULT false,
    thread_per_story boolean NOT NULL DEFAULT false,
    auto_publish     boolean NOT NULL DEFAULT false,
    forum_tag_id     bigint,
    ping_role_id     bigint,
    ping_keywords    text,
    paused_at        timestamptz
);

CREATE TABLE channel_webhooks (
    channel_id bigint PRIMARY KEY,
    webhook_id bigint NOT NULL,
    token      text NOT NULL
);
