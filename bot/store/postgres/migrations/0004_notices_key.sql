-- SQLite 0003's notices.key (the work branch): a repeat of the same notice within the hour is skipped.
ALTER TABLE notices ADD COLUMN key text;
CREATE INDEX notices_key_idx ON notices (guild_id, key, created_at) WHERE key IS NOT NULL;
