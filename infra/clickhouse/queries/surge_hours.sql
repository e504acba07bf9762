-- Surge history, per account and hour, before the raw part (humans only).
SELECT
    account_id,
    toUnixTimestamp(toStartOfHour(ts)) DIV 3600 AS hour,
    sum(score) AS total,
    sum(score * score) AS total_sq,
    countIf(url_class IN ('pricing', 'demo')) AS high_intent
FROM abm.events FINAL
WHERE account_id IN {accounts:Array(String)} AND non_human = ''
  AND future = 0
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
GROUP BY account_id, hour
