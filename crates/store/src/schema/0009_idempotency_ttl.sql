-- Keys older than state::IDEMPOTENCY_TTL are pruned by each new claim.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
