-- The touches that can earn credit for the opportunities created in a period: counted
-- (human, not future-dated) events of each opportunity's account in the lookback window
-- before its creation, once each however many windows hold them (the split per
-- opportunity is services/revenue/influence.py). The newest version of each event (FINAL),
-- so a stitched or rescored event counts where it now belongs. Each account's opportunity
-- creation times travel as one array, so an event is kept once without a DISTINCT over
-- (event, opportunity) pairs. Ordered by account, time and event id, as the split reads
-- them. t: epoch seconds; known: a known contact's touch (W-shaped's second milestone).
SELECT toUnixTimestamp64Milli(e.ts) / 1000 AS t, e.event_id AS event_id,
       e.channel AS channel, e.campaign_id AS campaign_id, e.account_id AS account_id,
       e.person_key IN (SELECT person_key FROM abm.contacts FINAL WHERE person_key != '')
           AS known
FROM
(
    SELECT event_id, ts, channel, campaign_id, account_id, person_key
    FROM abm.events FINAL
    WHERE non_human = '' AND future = 0 AND account_id != ''
      AND ts >= {since:DateTime64(3, 'UTC')} - toIntervalDay({lookback_days:UInt32})
      AND ts < {until:DateTime64(3, 'UTC')}
) AS e
INNER JOIN
(
    SELECT account_id, groupArray(toUnixTimestamp64Milli(created_at)) AS created
    FROM abm.opportunities FINAL
    WHERE account_id != ''
      AND created_at >= {since:DateTime64(3, 'UTC')}
      AND created_at < {until:DateTime64(3, 'UTC')}
    GROUP BY account_id
) AS o ON e.account_id = o.account_id
WHERE arrayExists(c -> c > toUnixTimestamp64Milli(e.ts)
                       AND c - {lookback_days:UInt32} * 86400000 <= toUnixTimestamp64Milli(e.ts),
                  o.created)
ORDER BY account_id, t, event_id
