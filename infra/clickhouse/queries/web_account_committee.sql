-- The buying committee: the people of an account family in the window, strongest first.
-- new = first seen in the last 7 days of the window; total_*: over everyone, not only the
-- rows shown. Known contacts are named from abm.contacts (the customer's own CRM
-- records, of the family's accounts); anyone else stays a keyed hash.
WITH people AS
(
    SELECT
        person_key,
        anyIf(email_domain, email_domain != '') AS email_domain,
        max(persona) AS persona,
        max(match_method = 'contact') AS known_contact,
        groupUniqArray(channel) AS channels,
        count() AS events,
        round(sum(score), 1) AS score,
        min(ts) AS first_seen,
        max(ts) AS last_seen,
        min(ts) >= {new_since:DateTime64(3, 'UTC')} AS new,
        count() OVER () AS total_people,
        sum(toUInt64(new)) OVER () AS total_new
    FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
    WHERE non_human = '' AND future = 0
    GROUP BY person_key
    ORDER BY score DESC, last_seen DESC, person_key
    LIMIT {limit:UInt32}
)
SELECT
    p.*,
    c.person_key != '' AS named,
    if(c.name != '', c.name, c.email) AS contact_name,
    c.title AS contact_title
FROM people AS p
LEFT JOIN
(
    SELECT person_key, name, email, title FROM abm.contacts FINAL
    WHERE account_id IN {accounts:Array(String)} AND person_key != ''
) AS c ON c.person_key = p.person_key
ORDER BY p.score DESC, p.last_seen DESC, p.person_key
