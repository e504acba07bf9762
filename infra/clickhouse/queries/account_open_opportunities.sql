-- The open opportunities of some accounts created before a moment (what an alert mentions:
-- a rep should not be told to chase an account already in a deal without saying so).
SELECT account_id, opportunity_id, name, stage, amount, currency, created_at
FROM abm.opportunities FINAL
WHERE account_id IN {accounts:Array(String)} AND is_closed = 0
  AND created_at <= {at:DateTime64(3, 'UTC')}
ORDER BY account_id, created_at DESC, opportunity_id
