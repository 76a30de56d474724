-- Notices are sent at least once: taking one claims it for a while (next_attempt_at) instead of marking it
-- sent, a failed send puts it back with a back-off, and only a confirmed send (or a give-up) sets sent_at.
ALTER TABLE notices ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN next_attempt_at TEXT;
