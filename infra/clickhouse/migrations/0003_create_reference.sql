-- Reference data loaded by `pulse accounts load` / `pulse contacts load`.
-- A reload replaces a row by its key; workers pick changes up within seconds.
CREATE TABLE IF NOT EXISTS abm.accounts
(
    account_id String,
    name String,
    domains Array(String),
    ip_ranges Array(String),
    tier LowCardinality(String),
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY account_id;

CREATE TABLE IF NOT EXISTS abm.contacts
(
    email String,
    account_id String,
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY email;
