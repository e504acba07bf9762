-- People per account in the recent window, and how many of them are new (first seen in it).
SELECT
    account_id,
    countIf(last_seen >= {recent_start:DateTime64(3, 'UTC')}) AS people,
    countIf(first_seen >= {recent_start:DateTime64(3, 'UTC')}) AS new_people
FROM
(
    SELECT account_id, person_key, min(ts) AS first_seen, max(ts) AS last_seen
    FROM abm.events FINAL
    WHERE account_id != '' AND non_human = '' AND ts < {end:DateTime64(3, 'UTC')}
    GROUP BY account_id, person_key
)
GROUP BY account_id
