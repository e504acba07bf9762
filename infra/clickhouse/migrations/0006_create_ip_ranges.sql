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
