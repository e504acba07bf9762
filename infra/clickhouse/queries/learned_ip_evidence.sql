-- Evidence for learned IP blocks: identified people (known contact or company email
-- domain) per unclaimed block and account, weighted by recency with a half-life.
SELECT
    ip_block,
    account_id,
    uniqExact(person_key) AS people,
    sum(exp2(-dateDiff('second', ts, now64(3)) / {half_life_s:Float64})) AS weight
FROM abm.events FINAL
WHERE ip_block != ''
  AND match_method IN ('contact', 'email_domain')
  AND non_human = ''
  AND ts >= now64(3) - toIntervalDay({lookback_days:UInt32})
GROUP BY ip_block, account_id
