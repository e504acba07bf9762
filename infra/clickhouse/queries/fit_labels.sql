-- Won and lost accounts for `pulse fit learn`: won when any of its matched opportunities
-- was won, lost when its deals closed and none was won. Accounts with open deals only
-- teach nothing yet.
SELECT account_id, max(is_won) AS won
FROM abm.opportunities FINAL
WHERE account_id != '' AND is_closed = 1
GROUP BY account_id
ORDER BY account_id
