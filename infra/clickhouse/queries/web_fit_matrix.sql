-- The accounts page's fit x engagement matrix: target accounts counted by fit grade ('' when
-- not scored) and journey stage (under the stage rules version {stages:String}; no change
-- yet is unaware).
SELECT f.grade AS grade, if(g.stage = '', 'unaware', g.stage) AS stage, count() AS accounts
FROM (SELECT account_id FROM abm.accounts FINAL) AS a
LEFT JOIN (SELECT account_id, grade FROM abm.account_fit FINAL) AS f
    ON f.account_id = a.account_id
LEFT JOIN abm.account_stages(version = {stages:String}) AS g ON g.account_id = a.account_id
GROUP BY grade, stage
