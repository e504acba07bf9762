-- Engagement per account and channel by event time, over the de-duplicated events of
-- people (machine traffic left out). late = 1: the event landed more than
-- PULSE_LATE_GRACE_SECONDS after it happened; it is counted in its own window like any
-- other and flagged, never dropped. people = distinct person keys.
CREATE VIEW IF NOT EXISTS abm.account_engagement_hourly AS
SELECT
    toStartOfHour(ts) AS hour,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
GROUP BY hour, account_id, channel;

CREATE VIEW IF NOT EXISTS abm.account_engagement_daily AS
SELECT
    toDate(ts) AS day,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
GROUP BY day, account_id, channel;

CREATE VIEW IF NOT EXISTS abm.account_engagement_weekly AS
SELECT
    toMonday(ts) AS week,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
GROUP BY week, account_id, channel;

-- The same, rolled up to each account's ultimate parent (resolved by the accounts loader).
CREATE VIEW IF NOT EXISTS abm.parent_engagement_daily AS
SELECT
    toDate(e.ts) AS day,
    if(a.ultimate_parent_id = '', e.account_id, a.ultimate_parent_id) AS parent_account_id,
    e.channel AS channel,
    count() AS events,
    uniqExact(e.person_key) AS people,
    round(sum(e.score), 2) AS score
FROM abm.events AS e FINAL
LEFT JOIN (SELECT account_id, ultimate_parent_id FROM abm.accounts FINAL) AS a
    ON a.account_id = e.account_id
WHERE e.account_id != '' AND e.non_human = ''
GROUP BY day, parent_account_id, channel;
