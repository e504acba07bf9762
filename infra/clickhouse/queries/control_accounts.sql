-- The target accounts a control group is drawn from (customers are worked by account
-- management, not by the programme, so they are left out), with what they can be
-- stratified by: tier, fit grade ('' when not scored), country and industry.
SELECT a.account_id AS account_id, a.tier AS tier, f.grade AS grade, a.country AS country,
       a.industry AS industry
FROM (SELECT account_id, tier, country, industry, customer FROM abm.accounts FINAL) AS a
LEFT JOIN (SELECT account_id, grade FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
WHERE a.customer = 0
ORDER BY account_id
