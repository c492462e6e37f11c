-- Uploads may carry an Idempotency-Key: a create retried after a lost answer
-- returns the target the first attempt made instead of a duplicate. The key lives
-- and dies with its target.
ALTER TABLE api_targets ADD COLUMN idempotency_key TEXT;
-- The X-Request-Id of the create that used the key, returned on a replay so a
-- client can tell its own lost create from one made by an earlier request.
ALTER TABLE api_targets ADD COLUMN idempotency_request TEXT;
CREATE UNIQUE INDEX api_targets_by_idempotency_key ON api_targets (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
