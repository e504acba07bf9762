-- Records that could not become events, with everything needed to fix and replay them.
-- They keep the original bytes, so they expire after 30 days.
CREATE TABLE IF NOT EXISTS abm.dead_letters
(
    topic LowCardinality(String),
    partition UInt32,
    offset UInt64,
    payload String COMMENT 'the original record bytes, unchanged',
    error String,
    received_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(received_at)
ORDER BY (topic, partition, offset)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 1000;
