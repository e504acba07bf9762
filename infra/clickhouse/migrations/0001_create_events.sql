-- Attributed events, one row per event_id. The writer skips ids already present, and
-- ReplacingMergeTree on event_id is the backstop for replays that race it; read with
-- FINAL (as the views do) for exact counts at any moment. A re-attribution (stitching)
-- or a rescore writes a newer version of the row, which replaces the old one.
-- Privacy: ip holds the truncated address (IPv4 /24, IPv6 /48); an email is its clear
-- domain plus keyed hashes (person_key, email_local_key). Raw events expire after 395 days.
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
    non_human LowCardinality(String) DEFAULT ''
        COMMENT 'why this is not a person (bot_user_agent, hosting_ip, email_scanner, privacy_proxy_open); empty for people',
    person_key String COMMENT 'keyed hash of email, else visitor id, else IP: distinct people',
    visitor_key String DEFAULT '',
    email_domain String,
    email_local_key String DEFAULT '',
    ip String,
    ip_block String DEFAULT '',
    url String,
    referrer String,
    campaign_id String,
    ad_id String,
    platform LowCardinality(String),
    company_name String,
    user_agent String,
    score Float64,
    url_class LowCardinality(String) DEFAULT '',
    persona LowCardinality(String) DEFAULT '',
    rules_version LowCardinality(String) DEFAULT '',
    late UInt8 DEFAULT 0,
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64,
    ingested_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY event_id
TTL toDateTime(ts) + INTERVAL 395 DAY
SETTINGS non_replicated_deduplication_window = 1000;
