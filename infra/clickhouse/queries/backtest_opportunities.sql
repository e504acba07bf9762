-- Every matched opportunity (the newest version of each): what opens, closes and converts.
SELECT account_id, created_at, close_date, is_closed
FROM abm.opportunities FINAL
WHERE account_id != ''
ORDER BY account_id, created_at
