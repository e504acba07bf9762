-- One account with its relatives, in one pass over the accounts: relation = 'self',
-- 'parent' (its direct parent), 'child' (parent_account_id = it) or 'family' (a deeper
-- subsidiary: ultimate_parent_id = it). Its events roll up over self, children and family.
-- With each its fit (grade '' when not scored) and the points that made it.
SELECT
    multiIf(a.account_id = {account:String}, 'self',
            a.parent_account_id = {account:String}, 'child',
            a.ultimate_parent_id = {account:String}, 'family', 'parent') AS relation,
    a.account_id AS account_id, a.name AS name, a.tier AS tier, a.owner_email AS owner,
    a.customer AS customer, a.domains AS domains, a.parent_account_id AS parent_id,
    f.score AS fit_score, f.grade AS fit_grade,
    arrayMap(p -> (p.1, p.2, p.3), f.points) AS fit_points, f.version AS fit_version
FROM
(
    SELECT account_id, name, tier, owner_email, customer, domains, parent_account_id,
           ultimate_parent_id
    FROM abm.accounts FINAL
    WHERE account_id = {account:String}
       OR parent_account_id = {account:String}
       OR ultimate_parent_id = {account:String}
       OR account_id IN (SELECT parent_account_id FROM abm.accounts FINAL
                         WHERE account_id = {account:String})
) AS a
LEFT JOIN (SELECT account_id, score, grade, points, version FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
ORDER BY relation != 'self', name, account_id
