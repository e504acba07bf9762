-- The known contacts behind an alert: people of the account active in its window who are
-- loaded contacts, strongest first. Keys only: names are resolved when the alert is shown
-- or delivered.
SELECT person_key
FROM abm.events FINAL
WHERE account_id = {account_id:String} AND non_human = ''
  AND future = 0
  AND ts > {start:DateTime64(3, 'UTC')} AND ts <= {end:DateTime64(3, 'UTC')}
  AND person_key IN (SELECT person_key FROM abm.contacts FINAL WHERE person_key != '')
GROUP BY person_key
ORDER BY sum(score) DESC, person_key
LIMIT 5
