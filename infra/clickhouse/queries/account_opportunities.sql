-- An account's opportunities, newest first (the account page).
SELECT opportunity_id, name, stage, amount, currency, created_at, close_date, is_closed,
       is_won, type, match_method, match_evidence
FROM abm.opportunities FINAL
WHERE account_id = {account_id:String}
ORDER BY created_at DESC, opportunity_id
LIMIT 20
