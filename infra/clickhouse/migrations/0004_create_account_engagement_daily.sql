-- Engagement per account, day (UTC) and channel over the de-duplicated events.
-- people = distinct person keys (known contacts and anonymous visitors).
CREATE VIEW IF NOT EXISTS abm.account_engagement_daily AS
SELECT
    toDate(ts) AS day,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score
FROM abm.events FINAL
WHERE account_id != ''
GROUP BY day, account_id, channel;
