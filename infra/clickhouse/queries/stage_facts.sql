-- What the journey-stage rules read of each account at one moment of event time {at}:
-- people (not machines) and score in the rules' windows, high-intent page visits, surge
-- alerts, open and won opportunities, the customer flag and the fit grade. The accounts of
-- the tiers given ({tiers_in} = 1) or of all the others ({tiers_in} = 0): tiers with their
-- own windows are read apart.
WITH
    toDateTime64({at:DateTime64(3, 'UTC')}, 3, 'UTC') AS at,
    e AS
    (
        SELECT account_id,
               uniqExactIf(person_key, ts > at - toIntervalDay({aware_days:UInt16})) AS aware_people,
               uniqExactIf(person_key, ts > at - toIntervalDay({engaged_days:UInt16})) AS engaged_people,
               sumIf(score, ts > at - toIntervalDay({engaged_days:UInt16})) AS engaged_score,
               countIf(has({intent:Array(String)}, url_class)
                       AND ts > at - toIntervalDay({mqa_days:UInt16})) AS high_intent
        FROM abm.events FINAL
        WHERE ts > at - toIntervalDay(greatest({aware_days:UInt16}, {engaged_days:UInt16},
                                               {mqa_days:UInt16}))
          AND ts <= at AND account_id != '' AND non_human = '' AND future = 0
        GROUP BY account_id
    ),
    s AS
    (
        SELECT account_id, count() AS surges
        FROM abm.surge_alerts FINAL
        WHERE kind IN ('surge', 'spike', 'escalation')
          AND detected_at > at - toIntervalDay({mqa_days:UInt16}) AND detected_at <= at
        GROUP BY account_id
    ),
    o AS
    (
        SELECT account_id,
               countIf(created_at <= at
                       AND (is_closed = 0 OR ifNull(close_date > toDate(at), 0))) AS open_opps,
               countIf(is_won = 1 AND created_at <= at
                       AND ifNull(close_date <= toDate(at), 1)) AS won
        FROM abm.opportunities FINAL
        WHERE account_id != ''
        GROUP BY account_id
    )
SELECT a.account_id AS account_id, a.tier AS tier, a.customer AS customer,
       f.grade AS grade, f.score AS fit, e.aware_people AS aware_people,
       e.engaged_people AS engaged_people, e.engaged_score AS engaged_score,
       e.high_intent AS high_intent, s.surges > 0 AS surged, o.open_opps AS open_opps,
       o.won AS won
FROM
(
    SELECT account_id, tier, customer FROM abm.accounts FINAL
    WHERE has({tiers:Array(String)}, tier) = {tiers_in:UInt8}
) AS a
LEFT JOIN (SELECT account_id, grade, score FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
LEFT JOIN e ON e.account_id = a.account_id
LEFT JOIN s ON s.account_id = a.account_id
LEFT JOIN o ON o.account_id = a.account_id
ORDER BY account_id
