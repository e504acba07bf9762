-- Opportunities of the accounts in the control assignment in force, created in
-- [{since}, {until}): what `pulse lift` counts per account.
SELECT o.account_id AS account_id, o.opportunity_id AS opportunity_id,
       o.created_at AS created_at, o.amount AS amount, o.currency AS currency,
       o.is_closed AS is_closed, o.is_won AS is_won
FROM abm.opportunities AS o FINAL
WHERE o.account_id IN (SELECT account_id FROM abm.control_current)
  AND o.created_at >= {since:DateTime64(3, 'UTC')} AND o.created_at < {until:DateTime64(3, 'UTC')}
ORDER BY account_id, created_at, opportunity_id
