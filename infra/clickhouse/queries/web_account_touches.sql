-- An account's counted touches (human, not future-dated, newest version, stitched-away
-- events left out) from a moment on: what its opportunities' credit is split over.
SELECT toUnixTimestamp64Milli(ts) / 1000 AS t, event_id, channel, campaign_id, account_id,
       person_key IN (SELECT person_key FROM abm.contacts FINAL WHERE person_key != '') AS known
FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
WHERE non_human = '' AND future = 0 AND ts < {until:DateTime64(3, 'UTC')}
ORDER BY t, event_id
