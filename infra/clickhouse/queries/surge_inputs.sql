-- Daily engagement of people per account over the trend window (surge inputs).
SELECT
    account_id,
    toDate(ts) AS day,
    round(sum(score), 4) AS score,
    uniqExact(person_key) AS people,
    countIf(url_class IN ('pricing', 'demo')) AS high_intent
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
GROUP BY account_id, day
