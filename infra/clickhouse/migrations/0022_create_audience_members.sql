-- Audience exports (`pulse audience export`): every account of every export, so the next
-- export of the same audience says what was added and removed.
CREATE TABLE IF NOT EXISTS abm.audience_members
(
    audience String,
    export_id String,
    exported_at DateTime64(3, 'UTC'),
    account_id String,
    format LowCardinality(String) COMMENT 'linkedin | csv',
    filters String COMMENT 'the selection, as given'
)
ENGINE = ReplacingMergeTree
ORDER BY (audience, exported_at, export_id, account_id);
