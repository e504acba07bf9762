-- The programme page's coverage: target accounts per arm of the control group in force
-- ('' when none is), and how many of them the programme has reached (journey stage above
-- unaware, rules version {stages}) and engaged (engaged or higher).
SELECT c.arm AS arm, count() AS accounts,
       countIf(g.stage NOT IN ('', 'unaware')) AS reached,
       countIf(g.stage IN ('engaged', 'mqa', 'opportunity', 'customer')) AS engaged
FROM (SELECT account_id FROM abm.accounts FINAL) AS a
LEFT JOIN (SELECT account_id, arm FROM abm.control_current) AS c ON c.account_id = a.account_id
LEFT JOIN abm.account_stages(version = {stages:String}) AS g ON g.account_id = a.account_id
GROUP BY arm
ORDER BY arm
