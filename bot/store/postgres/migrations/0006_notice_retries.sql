-- SQLite 0007: notices are sent at least once (taking claims one until next_attempt_at; a failed send puts
-- it back with a back-off; only a confirmed send or a give-up sets sent_at).
ALTER TABLE notices ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN next_attempt_at timestamptz;
