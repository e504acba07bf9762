-- An account family's engagement per day and channel over the last 90 days.
SELECT day, channel, sum(events) AS events, round(sum(score), 2) AS score
FROM abm.account_daily
WHERE account_id IN {accounts:Array(String)} AND day >= {today:Date} - 89
GROUP BY day, channel
ORDER BY day, channel
