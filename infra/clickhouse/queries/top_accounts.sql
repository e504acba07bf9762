-- Most engaged accounts over everything landed: what `pulse demo` prints.
SELECT
    e.account_id AS account,
    any(a.name) AS name,
    any(a.tier) AS tier,
    uniqExact(e.person_key) AS people,
    countIf(e.channel = 'web') AS web,
    countIf(e.channel = 'email') AS email,
    countIf(e.channel = 'ad') AS ad,
    round(sum(e.score), 1) AS score
FROM abm.events AS e FINAL
LEFT JOIN (SELECT account_id, name, tier FROM abm.accounts FINAL) AS a
    ON a.account_id = e.account_id
WHERE e.account_id != '' AND e.non_human = ''
GROUP BY e.account_id
ORDER BY score DESC, account
LIMIT 10
