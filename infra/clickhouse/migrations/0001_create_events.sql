-- Attributed events, one row per event_id. The writer skips ids already present, and
-- ReplacingMergeTree on event_id is the backstop for replays that race it; read with
-- FINAL (as the roll-up views do) for exact counts at any moment.
CREATE TABLE IF NOT EXISTS abm.events
(
    event_id String,
    ts DateTime64(3, 'UTC'),
    type LowCardinality(String),
    channel LowCardinality(String),
    account_id String,
    match_method LowCardinality(String),
    match_confidence Float32,
    match_evidence String,
    person_key String COMMENT 'HMAC of email, else visitor id, else IP: distinct people',
    email_domain String,
    ip String,
    url String,
    referrer String,
    campaign_id String,
    ad_id String,
    platform LowCardinality(String),
    company_name String,
    user_agent String,
    score Float64,
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64,
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY event_id
SETTINGS non_replicated_deduplication_window = 1000;
