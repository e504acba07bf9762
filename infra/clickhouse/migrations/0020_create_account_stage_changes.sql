-- Journey-stage history: one row per change of an account's stage, with the stage before
-- it, when (the event time of the evaluation that saw it), the stage rules' version and
-- the reason. Evaluated live by the surge role and rebuilt for a rules version by
-- `pulse stages replay`; a version's history is read on its own (rules_version), so a
-- replay never mixes with the history of the rules before it.
CREATE TABLE IF NOT EXISTS abm.account_stage_changes
(
    account_id String,
    stage LowCardinality(String) COMMENT 'unaware | aware | engaged | mqa | opportunity | customer',
    previous_stage LowCardinality(String),
    changed_at DateTime64(3, 'UTC'),
    rules_version LowCardinality(String),
    reason String,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (rules_version, account_id, changed_at);
