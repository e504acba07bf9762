-- Sales alerts: one row per alert_id. The id is derived from the account, the mode, the
-- episode's start and its escalation level, so a restart or a replay that raises the same
-- alert again finds it here and writes nothing (ReplacingMergeTree is the backstop).
-- detected_at is event time: the moment of the reading that raised it.
CREATE TABLE IF NOT EXISTS abm.surge_alerts
(
    alert_id String,
    account_id String,
    account_name String,
    tier LowCardinality(String),
    owner_email String DEFAULT '',
    kind LowCardinality(String) COMMENT 'surge (daily trend), spike (intraday), cooling (customer), escalation',
    mode LowCardinality(String) COMMENT 'daily | spike | cooling',
    detected_at DateTime64(3, 'UTC'),
    window_start DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC'),
    score Float64 COMMENT '0-100, 50 = usual',
    baseline_multiple Float64 COMMENT 'recent engagement / what the account usually has',
    people UInt32 COMMENT 'distinct people in the window',
    new_people UInt32,
    high_intent UInt32 COMMENT 'pricing and demo page visits in the window',
    recent Float64,
    expected Float64,
    reason String,
    top_pages Array(String),
    top_campaigns Array(String),
    episode_started_at DateTime64(3, 'UTC'),
    level UInt16 COMMENT 'escalations before this one in the episode',
    raised_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'wall-clock time it was written'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY alert_id;

-- Where each account's alert episodes stand, per mode: what the surge agent needs to keep
-- one alert per episode across restarts, rebalances and workers. The latest row wins.
CREATE TABLE IF NOT EXISTS abm.surge_episodes
(
    account_id String,
    mode LowCardinality(String),
    started_at DateTime64(3, 'UTC') COMMENT '1970-01-01: no open episode',
    last_hot_at DateTime64(3, 'UTC'),
    alerted_score Float64,
    level UInt16,
    last_alert_at DateTime64(3, 'UTC'),
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (account_id, mode);

-- Webhook deliveries, one row per alert and destination: the latest attempt wins, so a
-- failed delivery that later succeeds shows as delivered.
CREATE TABLE IF NOT EXISTS abm.alert_deliveries
(
    alert_id String COMMENT 'also the webhook-id header: receivers deduplicate on it',
    destination LowCardinality(String),
    status LowCardinality(String) COMMENT 'delivered | failed | refused',
    attempts UInt16,
    http_status UInt16 COMMENT '0: no HTTP answer',
    error String,
    first_attempt_at DateTime64(3, 'UTC'),
    finished_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (alert_id, destination);

CREATE VIEW IF NOT EXISTS abm.failed_deliveries AS
SELECT alert_id, destination, status, attempts, http_status, error, first_attempt_at,
       finished_at
FROM abm.alert_deliveries FINAL
WHERE status != 'delivered';
