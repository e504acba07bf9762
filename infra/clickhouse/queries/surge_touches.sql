-- Surge history, raw: every human touch of the accounts from the start of the raw part, in
-- event-time order (ties by event_id, so every reader replays them the same way). No
-- accounts: every account's (`pulse backtest --replay`).
SELECT
    account_id,
    event_id,
    toUnixTimestamp64Milli(ts) / 1000 AS t,
    score,
    person_key,
    url_class IN ('pricing', 'demo') AS high_intent
FROM abm.events FINAL
WHERE (empty({accounts:Array(String)}) OR account_id IN {accounts:Array(String)})
  AND account_id != '' AND non_human = ''
  AND future = 0
  AND ts >= {start:DateTime64(3, 'UTC')} AND ts <= {end:DateTime64(3, 'UTC')}
ORDER BY t, event_id
