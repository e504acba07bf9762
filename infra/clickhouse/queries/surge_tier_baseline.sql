-- Each account's score over the days before a day: tier priors (the median weekly level).
SELECT account_id, sum(score) AS total
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
  AND future = 0
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}
GROUP BY account_id
