-- Opportunities created in a period (the newest version of each; deleted ones are gone),
-- matched or not: the pipeline that influence is measured against.
SELECT opportunity_id, account_id, created_at, amount, currency
FROM abm.opportunities FINAL
WHERE created_at >= {since:DateTime64(3, 'UTC')} AND created_at < {until:DateTime64(3, 'UTC')}
ORDER BY opportunity_id
