-- An account family's engagement per hour and channel over the last 48 hours (people only).
SELECT toStartOfHour(ts) AS hour, channel, count() AS events, round(sum(score), 2) AS score
FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
WHERE non_human = '' AND future = 0
GROUP BY hour, channel
ORDER BY hour, channel
