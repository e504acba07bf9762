-- Scoring rule sets applied by `pulse rescore`; the decayed account score uses the
-- half-life of the latest one.
CREATE TABLE IF NOT EXISTS abm.scoring_rules
(
    version String,
    half_life_days Float64,
    rules String COMMENT 'the rules file as applied',
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;
