-- What an alerting account looked at in the alert's window: top pages and campaigns.
SELECT
    topKIf(3)(path(url), url != '') AS pages,
    topKIf(3)(campaign_id, campaign_id != '') AS campaigns
FROM abm.events FINAL
WHERE account_id = {account_id:String} AND non_human = ''
  AND future = 0
  AND ts > {start:DateTime64(3, 'UTC')} AND ts <= {end:DateTime64(3, 'UTC')}
