-- The touches that can earn credit for the opportunities created in a period: counted
-- (human, not future-dated) events of each opportunity's account in the lookback window
-- before its creation, once each however many windows hold them (the split per
-- opportunity is services/revenue/influence.py). The newest version of each event (FINAL),
-- so a stitched or rescored event counts where it now belongs.
-- known: a known contact's touch (W-shaped's second milestone).
SELECT event_id, ts, channel, campaign_id, account_id,
       person_key IN (SELECT person_key FROM abm.contacts FINAL WHERE person_key != '') AS known
FROM
(
    SELECT e.event_id AS event_id, e.ts AS ts, e.channel AS channel,
           e.campaign_id AS campaign_id, e.account_id AS account_id,
           e.person_key AS person_key
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
        SELECT account_id, created_at
        FROM abm.opportunities FINAL
        WHERE account_id != ''
          AND created_at >= {since:DateTime64(3, 'UTC')}
          AND created_at < {until:DateTime64(3, 'UTC')}
    ) AS o ON e.account_id = o.account_id
    WHERE e.ts >= o.created_at - toIntervalDay({lookback_days:UInt32})
      AND e.ts < o.created_at
    LIMIT 1 BY event_id
)
