-- Activity surge detection could not evaluate, and alerts delivery could not read: recorded
-- with the reason and acked, so one bad message never blocks detection for other accounts.
-- One row per message position and account (a redelivered message writes the same key).
CREATE TABLE IF NOT EXISTS abm.surge_errors
(
    topic LowCardinality(String),
    partition UInt32,
    offset UInt64,
    account_id String COMMENT 'empty when the message could not be read at all',
    payload String COMMENT 'what could not be handled: the account''s part of the message, or its bytes',
    error String,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (topic, partition, offset, account_id)
TTL toDateTime(recorded_at) + INTERVAL 30 DAY;
