-- The warehouse copy of the reference data (workers follow the compacted topics).
-- A reload replaces a row by its key.
CREATE TABLE IF NOT EXISTS abm.accounts
(
    account_id String,
    name String,
    domains Array(String),
    ip_ranges Array(String),
    tier LowCardinality(String),
    parent_account_id String DEFAULT '',
    ultimate_parent_id String DEFAULT '',
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY account_id;

CREATE TABLE IF NOT EXISTS abm.contacts
(
    email String,
    account_id String,
    title String DEFAULT '',
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY email;

-- IP ownership beyond the accounts file: `pulse ip-ranges load`. Shared kinds (isp,
-- hosting, vpn, mobile) have an empty account_id and never attribute. Several claims on
-- one CIDR are kept; the attributor resolves them by an explicit priority.
CREATE TABLE IF NOT EXISTS abm.ip_ranges
(
    cidr String,
    account_id String,
    kind LowCardinality(String),
    source String,
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY (cidr, kind, account_id);
