-- Every human touch of every account in a period, in event-time order (ties by event_id):
-- what `pulse backtest --replay` runs the surge rules over, as surge_touches.sql does for
-- some accounts.
SELECT
    account_id,
    event_id,
    toUnixTimestamp64Milli(ts) / 1000 AS t,
    score,
    person_key,
    url_class IN ('pricing', 'demo') AS high_intent
FROM abm.events FINAL
WHERE account_id != '' AND non_human = '' AND future = 0
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts <= {end:DateTime64(3, 'UTC')}
ORDER BY t, event_id
