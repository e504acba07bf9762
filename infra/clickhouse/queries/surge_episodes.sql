-- Where the accounts' alert episodes stand (the surge agent's state).
SELECT
    account_id, mode,
    toUnixTimestamp64Milli(started_at) / 1000,
    toUnixTimestamp64Milli(last_hot_at) / 1000,
    alerted_score,
    level,
    toUnixTimestamp64Milli(last_alert_at) / 1000,
    toUnixTimestamp64Milli(as_of) / 1000
FROM abm.surge_episodes FINAL
WHERE account_id IN {accounts:Array(String)}
