-- Share of target accounts engaged (any event of a person) in the last 30 days, per tier.
SELECT a.tier AS tier, count() AS targets, countIf(s.events_30d > 0) AS engaged,
       round(engaged / targets, 4) AS coverage
FROM (SELECT account_id, tier FROM abm.accounts FINAL) AS a
LEFT JOIN abm.account_summary AS s ON s.account_id = a.account_id
GROUP BY tier
ORDER BY tier
