-- One account with its relatives, in one pass over the accounts: relation = 'self',
-- 'parent' (its direct parent), 'child' (parent_account_id = it) or 'family' (a deeper
-- subsidiary: ultimate_parent_id = it). Its events roll up over self, children and family.
SELECT
    multiIf(account_id = {account:String}, 'self',
            parent_account_id = {account:String}, 'child',
            ultimate_parent_id = {account:String}, 'family', 'parent') AS relation,
    account_id, name, tier, owner_email AS owner, customer, domains,
    parent_account_id AS parent_id
FROM abm.accounts FINAL
WHERE account_id = {account:String}
   OR parent_account_id = {account:String}
   OR ultimate_parent_id = {account:String}
   OR account_id IN (SELECT parent_account_id FROM abm.accounts FINAL
                     WHERE account_id = {account:String})
ORDER BY relation != 'self', name, account_id
