-- pending_deliveries reads "status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?" on every drain
-- tick. With only the (next_attempt_at) index, SQLite walks the whole outbox in id order (it keeps every
-- delivered row, so it only grows): ~27 ms per tick at 400k rows, under the store lock. This partial index
-- holds just the pending rows, in id order, with the due time to check without touching the table.
CREATE INDEX deliveries_pending_order_idx ON deliveries (id, next_attempt_at) WHERE status = 'pending';
