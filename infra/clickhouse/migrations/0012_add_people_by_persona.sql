-- Breadth by persona (from contacts' titles): how many executives, leaders, managers, ...
CREATE OR REPLACE VIEW abm.account_people AS
SELECT
    account_id,
    count() AS people,
    countIf(identified = 1) AS identified_people,
    countIf(contact = 1) AS known_contacts,
    countIf(first_seen >= now64(3) - INTERVAL 7 DAY) AS new_people_7d,
    countIf(last_seen >= now64(3) - INTERVAL 7 DAY) AS active_people_7d,
    sumMapIf(map(persona, toUInt64(1)), persona != '') AS people_by_persona
FROM
(
    SELECT
        account_id,
        person_key,
        min(ts) AS first_seen,
        max(ts) AS last_seen,
        max(email_domain != '') AS identified,
        max(match_method = 'contact') AS contact,
        max(persona) AS persona
    FROM abm.events FINAL
    WHERE account_id != '' AND non_human = ''
    GROUP BY account_id, person_key
)
GROUP BY account_id;
