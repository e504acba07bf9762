-- Share of target accounts engaged in the last 30 days, per tier.
SELECT t.tier AS tier, t.targets AS targets, countIf(e.account_id != '') AS engaged,
       round(engaged / t.targets, 4) AS coverage
FROM
(
    SELECT account_id, tier, count() OVER (PARTITION BY tier) AS targets
    FROM abm.accounts FINAL
) AS t
LEFT JOIN
(
    SELECT DISTINCT account_id FROM abm.account_daily WHERE day >= {today:Date} - 29
) AS e ON e.account_id = t.account_id
GROUP BY tier, targets
ORDER BY tier
