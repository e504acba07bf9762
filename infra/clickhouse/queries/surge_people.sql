-- Surge history: each person's first and last time seen, per account, before the raw part.
SELECT
    account_id,
    person_key,
    toUnixTimestamp64Milli(min(ts)) / 1000 AS first_seen,
    toUnixTimestamp64Milli(max(ts)) / 1000 AS last_seen
FROM abm.events FINAL
WHERE account_id IN {accounts:Array(String)} AND non_human = ''
  AND future = 0
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
GROUP BY account_id, person_key
