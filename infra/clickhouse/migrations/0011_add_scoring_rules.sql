-- Versioned scoring rules (infra/scoring/rules.toml): each event keeps the URL class and
-- persona it was scored with and the rules version; `pulse rescore` rewrites history under
-- new rules and records them here, so the decayed score uses their half-life.
ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS url_class LowCardinality(String) DEFAULT ''
    AFTER score;

ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS persona LowCardinality(String) DEFAULT ''
    AFTER url_class;

ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS rules_version LowCardinality(String)
    DEFAULT '' AFTER persona;

ALTER TABLE abm.contacts ADD COLUMN IF NOT EXISTS title String DEFAULT '' AFTER account_id;

CREATE TABLE IF NOT EXISTS abm.scoring_rules
(
    version String,
    half_life_days Float64,
    rules String COMMENT 'the rules file as applied',
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version;

-- The half-life of the most recently applied rules (14 days before any rescore).
CREATE OR REPLACE VIEW abm.account_scores AS
SELECT
    e.account_id AS account_id,
    any(a.tier) AS tier,
    round(sum(e.score * exp2(-dateDiff('second', e.ts, now64(3)) / (h.half_life_days * 86400))),
          2) AS decayed_score,
    round(sumIf(e.score, e.ts >= now64(3) - INTERVAL 7 DAY), 2) AS score_7d,
    round(sumIf(e.score, e.ts < now64(3) - INTERVAL 7 DAY
                          AND e.ts >= now64(3) - INTERVAL 14 DAY), 2) AS score_prev_7d,
    round(score_7d - score_prev_7d, 2) AS change_7d
FROM abm.events AS e FINAL
LEFT JOIN (SELECT account_id, tier FROM abm.accounts FINAL) AS a ON a.account_id = e.account_id
CROSS JOIN
(
    SELECT if(count() = 0, 14.0, argMax(half_life_days, applied_at)) AS half_life_days
    FROM abm.scoring_rules
) AS h
WHERE e.account_id != '' AND e.non_human = ''
GROUP BY e.account_id;
