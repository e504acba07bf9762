-- What the web app reads, so that no page scans all events.
--
-- 1. A projection of abm.events sorted by account: one account's events are a range read
--    (tens of ms on 10M events) instead of a full scan. Read without FINAL (FINAL ignores
--    projections), so readers keep the newest version of each event_id themselves
--    (abm.account_activity below). Merges rebuild the projection from the merged rows, and
--    so do deletes (`pulse forget`): with the default, ClickHouse refuses a DELETE on a
--    table with projections.
ALTER TABLE abm.events MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild',
    lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE abm.events ADD PROJECTION IF NOT EXISTS by_account
(
    SELECT event_id, ts, ingested_at, type, channel, account_id, match_method,
           match_confidence, match_evidence, non_human, person_key, visitor_key,
           email_domain, url, url_class, campaign_id, platform, persona, score, late, future
    ORDER BY account_id, ts
);

ALTER TABLE abm.events MATERIALIZE PROJECTION by_account SETTINGS mutations_sync = 1;

-- 2. One account family's current events in a window (pass the accounts and the start).
--    Newest version per event_id; an event re-attributed elsewhere by identity stitching
--    leaves its old account (the stitched version names the new one).
CREATE VIEW IF NOT EXISTS abm.account_activity AS
SELECT *
FROM
(
    SELECT event_id, ts, ingested_at, type, channel, account_id, match_method,
           match_confidence, match_evidence, non_human, person_key, visitor_key,
           email_domain, url, url_class, campaign_id, platform, persona, score, late, future
    FROM abm.events
    WHERE account_id IN {accounts:Array(String)} AND ts >= {since:DateTime64(3, 'UTC')}
    ORDER BY ingested_at DESC
    LIMIT 1 BY event_id
)
WHERE NOT (visitor_key != '' AND match_method NOT IN ('contact', 'email_domain', 'stitched')
           AND visitor_key IN (SELECT visitor_key FROM abm.identities FINAL
                               WHERE account_id NOT IN {accounts:Array(String)}));

-- 3. Engagement per account, day and channel over the last 92 days (people's events), and
--    per account over the last 30 days with its people. ClickHouse recomputes both from
--    the de-duplicated events every 2 minutes (refreshable materialized views): exact
--    after stitching and rescoring, which write new versions of old rows. One thread each
--    (max_threads = 1): a refresh never takes every core from the pages and the pipeline.
CREATE TABLE IF NOT EXISTS abm.account_daily
(
    day Date,
    account_id String,
    channel LowCardinality(String),
    events UInt64,
    score Float64,
    last_ts DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (account_id, day, channel);

CREATE MATERIALIZED VIEW IF NOT EXISTS abm.account_daily_refresh
REFRESH EVERY 2 MINUTE TO abm.account_daily AS
SELECT toDate(ts) AS day, account_id, channel, count() AS events, sum(score) AS score,
       max(ts) AS last_ts
FROM abm.events FINAL
WHERE ts >= today() - 92 AND account_id != '' AND non_human = '' AND future = 0
GROUP BY day, account_id, channel
SETTINGS max_threads = 1;

-- new_people_7d: first seen in the last 7 days of the 90 looked at.
CREATE TABLE IF NOT EXISTS abm.account_summary
(
    account_id String,
    score_30d Float64,
    events_30d UInt64,
    people_30d UInt64,
    new_people_7d UInt64,
    last_ts DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY account_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS abm.account_summary_refresh
REFRESH EVERY 2 MINUTE TO abm.account_summary AS
SELECT account_id, sum(score_30d) AS score_30d, sum(events_30d) AS events_30d,
       countIf(last_seen >= today() - 29) AS people_30d,
       countIf(first_seen >= today() - 6) AS new_people_7d, max(last_seen) AS last_ts
FROM
(
    SELECT account_id, person_key, sumIf(score, ts >= today() - 29) AS score_30d,
           countIf(ts >= today() - 29) AS events_30d, min(ts) AS first_seen,
           max(ts) AS last_seen
    FROM abm.events FINAL
    WHERE ts >= today() - 89 AND account_id != '' AND non_human = '' AND future = 0
    GROUP BY account_id, person_key
)
GROUP BY account_id
SETTINGS max_threads = 1;

-- 4. Every event (machines and unmatched included) per day, channel, method and
--    non-human reason, over 92 days: the ops page's match rate and machine traffic,
--    recomputed every 5 minutes.
CREATE TABLE IF NOT EXISTS abm.ops_daily
(
    day Date,
    channel LowCardinality(String),
    match_method LowCardinality(String),
    non_human LowCardinality(String),
    events UInt64
)
ENGINE = MergeTree
ORDER BY (day, channel, match_method, non_human);

CREATE MATERIALIZED VIEW IF NOT EXISTS abm.ops_daily_refresh
REFRESH EVERY 5 MINUTE TO abm.ops_daily AS
SELECT toDate(ts) AS day, channel, match_method, non_human, count() AS events
FROM abm.events FINAL
WHERE ts >= today() - 92
GROUP BY day, channel, match_method, non_human
SETTINGS max_threads = 1;
