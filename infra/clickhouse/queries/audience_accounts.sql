-- The accounts of an audience: target accounts whose journey stage (rules version
-- {version}; no change yet is unaware) and fit grade are among those given (empty: any),
-- surging now when {surging} = 1 (an open surge or spike episode), and never an account of
-- the control group in force. With what ad platforms match companies on.
SELECT a.account_id AS account_id, a.name AS name, a.domains AS domains, a.tier AS tier,
       f.grade AS grade, f.score AS fit, if(g.stage = '', 'unaware', g.stage) AS stage,
       a.linkedin_url AS linkedin_url, a.stock_symbol AS stock_symbol,
       a.industry AS industry, a.city AS city, a.region AS region, a.country AS country,
       a.zip AS zip, a.employees AS employees
FROM
(
    SELECT account_id, name, domains, tier, linkedin_url, stock_symbol, industry, city,
           region, country, zip, employees
    FROM abm.accounts FINAL
) AS a
LEFT JOIN (SELECT account_id, grade, score FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
LEFT JOIN abm.account_stages(version = {version:String}) AS g ON g.account_id = a.account_id
WHERE (empty({stages:Array(String)}) OR has({stages:Array(String)}, if(g.stage = '', 'unaware', g.stage)))
  AND (empty({grades:Array(String)}) OR has({grades:Array(String)}, f.grade))
  AND ({surging:UInt8} = 0 OR a.account_id IN
       (SELECT account_id FROM abm.surge_episodes FINAL
        WHERE started_at > toDateTime64(0, 3, 'UTC') AND mode IN ('daily', 'spike')))
  AND a.account_id NOT IN (SELECT account_id FROM abm.control_current WHERE arm = 'control')
ORDER BY account_id
