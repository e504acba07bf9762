-- The half-life of the most recently applied rules (14 days before any rescore).
CREATE VIEW IF NOT EXISTS abm.account_scores AS
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

-- Breadth by persona (from contacts' titles): how many executives, leaders, managers, ...
CREATE VIEW IF NOT EXISTS abm.account_people AS
SELECT
    account_id,
    count() AS people,
    countIf(identified = 1) AS identified_people,
    countIf(contact = 1) AS known_contacts,
    countIf(first_seen >= now64(3) - INTERVAL 7 DAY) AS new_people_7d,
    countIf(last_seen >= now64(3) - INTERVAL 7 DAY) AS active_people_7d,
    sumMapIf(map(persona, toUInt64(1)), persona != '') AS people_by_persona
FROM
(
    SELECT
        account_id,
        person_key,
        min(ts) AS first_seen,
        max(ts) AS last_seen,
        max(email_domain != '') AS identified,
        max(match_method = 'contact') AS contact,
        max(persona) AS persona
    FROM abm.events FINAL
    WHERE account_id != '' AND non_human = ''
    GROUP BY account_id, person_key
)
GROUP BY account_id;

-- Share of target accounts engaged per day and tier (a tier with none engaged that day
-- has no row).
CREATE VIEW IF NOT EXISTS abm.coverage_daily AS
SELECT
    g.day AS day,
    g.tier AS tier,
    g.engaged AS engaged_accounts,
    t.targets AS target_accounts,
    round(g.engaged / t.targets, 4) AS coverage
FROM
(
    SELECT toDate(e.ts) AS day, a.tier AS tier, uniqExact(e.account_id) AS engaged
    FROM abm.events AS e FINAL
    INNER JOIN (SELECT account_id, tier FROM abm.accounts FINAL) AS a
        ON a.account_id = e.account_id
    WHERE e.non_human = ''
    GROUP BY day, tier
) AS g
INNER JOIN (SELECT tier, count() AS targets FROM abm.accounts FINAL GROUP BY tier) AS t
    ON t.tier = g.tier;

-- Share of events attributed, per day, channel and method ('' = unmatched).
CREATE VIEW IF NOT EXISTS abm.match_rate_daily AS
SELECT
    toDate(ts) AS day,
    channel,
    match_method,
    count() AS events,
    round(count() / sum(count()) OVER (PARTITION BY day, channel), 4) AS share
FROM abm.events FINAL
WHERE non_human = ''
GROUP BY day, channel, match_method;
