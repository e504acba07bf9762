-- Daily score of some accounts over the last 30 days (the accounts page's sparklines).
SELECT account_id, day, round(sum(score), 2) AS score
FROM abm.account_daily
WHERE account_id IN {accounts:Array(String)} AND day >= {today:Date} - 29
GROUP BY account_id, day
ORDER BY account_id, day
