-- Account fit (`pulse fit score`, and every accounts load): each account's score by the
-- points file (infra/targeting/fit.toml or PULSE_FIT_RULES), its grade, and every point
-- it got with the evidence, so the account page explains the score without re-reading
-- the file. The newest scoring of an account wins.
CREATE TABLE IF NOT EXISTS abm.account_fit
(
    account_id String,
    score UInt8 COMMENT '0-100',
    grade LowCardinality(String),
    points Array(Tuple(points Int16, evidence String, label String)),
    version LowCardinality(String) COMMENT 'the points file version',
    scored_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(scored_at)
ORDER BY account_id;
