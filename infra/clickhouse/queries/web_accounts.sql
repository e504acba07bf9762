-- The accounts page: target accounts ranked by their score over the last 30 days, with
-- their people (abm.account_summary) and their surge status (the latest alert of an episode
-- still open), their fit grade ('' when not scored) and journey stage (under the stage
-- rules version {stages:String}; no change yet is unaware), filtered and paged.
-- total = rows matching the filters, on every row.
WITH
    status AS
    (
        SELECT l.account_id AS account_id,
               if(l.mode = 'cooling', 'cooling', 'surging') AS status,
               l.kind AS kind, l.reason AS reason, l.detected_at AS detected_at
        FROM
        (
            SELECT account_id, mode, kind, reason, detected_at
            FROM abm.surge_alerts FINAL
            ORDER BY detected_at DESC
            LIMIT 1 BY account_id, mode
        ) AS l
        INNER JOIN
        (
            SELECT account_id, mode FROM abm.surge_episodes FINAL
            WHERE started_at > toDateTime64(0, 3, 'UTC')
        ) AS e ON e.account_id = l.account_id AND e.mode = l.mode
        ORDER BY l.detected_at DESC
        LIMIT 1 BY l.account_id
    )
SELECT
    a.account_id AS account_id, a.name AS name, a.tier AS tier, a.owner_email AS owner,
    a.customer AS customer, a.domains AS domains,
    round(r.score_30d, 1) AS score, r.events_30d AS events, r.last_ts AS last_activity,
    r.people_30d AS people, r.new_people_7d AS new_people,
    s.status AS status, s.kind AS kind, s.reason AS reason,
    f.grade AS grade, f.score AS fit, if(g.stage = '', 'unaware', g.stage) AS stage,
    count() OVER () AS total
FROM
(
    SELECT account_id, name, tier, owner_email, customer, domains FROM abm.accounts FINAL
) AS a
LEFT JOIN abm.account_summary AS r ON r.account_id = a.account_id
LEFT JOIN status AS s ON s.account_id = a.account_id
LEFT JOIN (SELECT account_id, grade, score FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
LEFT JOIN abm.account_stages(version = {stages:String}) AS g ON g.account_id = a.account_id
WHERE ({tier:String} = '' OR a.tier = {tier:String})
  AND ({grade:String} = '' OR f.grade = {grade:String}
       OR ({grade:String} = '-' AND f.grade = ''))
  AND ({stage:String} = '' OR if(g.stage = '', 'unaware', g.stage) = {stage:String})
  AND ({owner:String} = '' OR a.owner_email = {owner:String})
  AND ({customers:UInt8} = 0 OR a.customer = 1)
  AND ({status:String} = '' OR s.status = {status:String})
  AND ({q:String} = ''
       OR positionCaseInsensitiveUTF8(a.name, {q:String}) > 0
       OR arrayExists(d -> positionCaseInsensitive(d, {q:String}) > 0, a.domains))
ORDER BY score DESC, name, account_id
LIMIT {limit:UInt32} OFFSET {offset:UInt32}
