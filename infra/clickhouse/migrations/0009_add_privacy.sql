-- Privacy by default. Raw IPs are no longer stored (ip keeps the truncated address:
-- IPv4 /24, IPv6 /48); emails are their clear domain plus keyed HMACs (person_key for the
-- whole address, email_local_key for the part before the @). Retention by TTL.
ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS email_local_key String DEFAULT ''
    AFTER email_domain;

ALTER TABLE abm.events MODIFY TTL toDateTime(ts) + INTERVAL 395 DAY;

ALTER TABLE abm.dead_letters MODIFY TTL toDateTime(received_at) + INTERVAL 30 DAY;

-- People erased with `pulse forget` (their person key and their browsers' visitor keys):
-- their events are dropped at ingest, so a replay does not bring them back.
CREATE TABLE IF NOT EXISTS abm.suppressions
(
    person_key String,
    created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY person_key;
