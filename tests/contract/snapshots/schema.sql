CREATE VIEW abm.account_activity
AS SELECT *
FROM
(
    SELECT
        event_id,
        ts,
        ingested_at,
        type,
        channel,
        account_id,
        match_method,
        match_confidence,
        match_evidence,
        non_human,
        person_key,
        visitor_key,
        email_domain,
        url,
        url_class,
        campaign_id,
        platform,
        persona,
        score,
        late,
        future
    FROM abm.events
    WHERE (account_id IN ({accounts:Array(String)})) AND (ts >= {since:DateTime64(3, 'UTC')})
    ORDER BY ingested_at DESC
    LIMIT 1 BY event_id
)
WHERE NOT ((visitor_key != '') AND (match_method NOT IN ('contact', 'email_domain', 'stitched')) AND (visitor_key IN (
    SELECT visitor_key
    FROM abm.identities
    FINAL
    WHERE account_id NOT IN ({accounts:Array(String)})
)));

CREATE TABLE abm.account_daily
(
    `day` Date,
    `account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `score` Float64,
    `last_ts` DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (account_id, day, channel)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW abm.account_daily_refresh
REFRESH EVERY 2 MINUTE TO abm.account_daily
(
    `day` Date,
    `account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `score` Float64,
    `last_ts` DateTime64(3, 'UTC')
)
DEFINER = default SQL SECURITY DEFINER
AS SELECT
    toDate(ts) AS day,
    account_id,
    channel,
    count() AS events,
    sum(score) AS score,
    max(ts) AS last_ts
FROM abm.events
FINAL
WHERE (ts >= (today() - 92)) AND (account_id != '') AND (non_human = '') AND (future = 0)
GROUP BY
    day,
    account_id,
    channel
SETTINGS max_threads = 1;

CREATE VIEW abm.account_engagement_daily
(
    `day` Date,
    `account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `people` UInt64,
    `score` Float64,
    `late_events` UInt64
)
AS SELECT
    toDate(ts) AS day,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events
FINAL
WHERE (account_id != '') AND (non_human = '')
GROUP BY
    day,
    account_id,
    channel;

CREATE VIEW abm.account_engagement_hourly
(
    `hour` DateTime('UTC'),
    `account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `people` UInt64,
    `score` Float64,
    `late_events` UInt64
)
AS SELECT
    toStartOfHour(ts) AS hour,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events
FINAL
WHERE (account_id != '') AND (non_human = '')
GROUP BY
    hour,
    account_id,
    channel;

CREATE VIEW abm.account_engagement_weekly
(
    `week` Date,
    `account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `people` UInt64,
    `score` Float64,
    `late_events` UInt64
)
AS SELECT
    toMonday(ts) AS week,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score,
    countIf(late = 1) AS late_events
FROM abm.events
FINAL
WHERE (account_id != '') AND (non_human = '')
GROUP BY
    week,
    account_id,
    channel;

CREATE TABLE abm.account_fit
(
    `account_id` String,
    `score` UInt8 COMMENT '0-100',
    `grade` LowCardinality(String),
    `points` Array(Tuple(
        points Int16,
        evidence String,
        label String)),
    `version` LowCardinality(String) COMMENT 'the points file version',
    `scored_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(scored_at)
ORDER BY account_id
SETTINGS index_granularity = 8192;

CREATE VIEW abm.account_people
(
    `account_id` String,
    `people` UInt64,
    `identified_people` UInt64,
    `known_contacts` UInt64,
    `new_people_7d` UInt64,
    `active_people_7d` UInt64,
    `people_by_persona` Map(String, UInt64)
)
AS SELECT
    account_id,
    count() AS people,
    countIf(identified = 1) AS identified_people,
    countIf(contact = 1) AS known_contacts,
    countIf(first_seen >= (now64(3) - toIntervalDay(7))) AS new_people_7d,
    countIf(last_seen >= (now64(3) - toIntervalDay(7))) AS active_people_7d,
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
    FROM abm.events
    FINAL
    WHERE (account_id != '') AND (non_human = '')
    GROUP BY
        account_id,
        person_key
)
GROUP BY account_id;

CREATE VIEW abm.account_scores
(
    `account_id` String,
    `tier` String,
    `decayed_score` Float64,
    `score_7d` Float64,
    `score_prev_7d` Float64,
    `change_7d` Float64
)
AS SELECT
    e.account_id AS account_id,
    any(a.tier) AS tier,
    round(sum(e.score * exp2((-dateDiff('second', e.ts, now64(3))) / (h.half_life_days * 86400))), 2) AS decayed_score,
    round(sumIf(e.score, e.ts >= (now64(3) - toIntervalDay(7))), 2) AS score_7d,
    round(sumIf(e.score, (e.ts < (now64(3) - toIntervalDay(7))) AND (e.ts >= (now64(3) - toIntervalDay(14)))), 2) AS score_prev_7d,
    round(score_7d - score_prev_7d, 2) AS change_7d
FROM abm.events AS e
FINAL
LEFT JOIN
(
    SELECT
        account_id,
        tier
    FROM abm.accounts
    FINAL
) AS a ON a.account_id = e.account_id
CROSS JOIN
(
    SELECT if(count() = 0, 14., argMax(half_life_days, applied_at)) AS half_life_days
    FROM abm.scoring_rules
) AS h
WHERE (e.account_id != '') AND (e.non_human = '')
GROUP BY e.account_id;

CREATE TABLE abm.account_stage_changes
(
    `account_id` String,
    `stage` LowCardinality(String) COMMENT 'unaware | aware | engaged | mqa | opportunity | customer',
    `previous_stage` LowCardinality(String),
    `changed_at` DateTime64(3, 'UTC'),
    `rules_version` LowCardinality(String),
    `reason` String,
    `recorded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (rules_version, account_id, changed_at)
SETTINGS index_granularity = 8192;

CREATE VIEW abm.account_stages
AS SELECT
    account_id,
    argMax(stage, changed_at) AS stage,
    max(changed_at) AS since
FROM abm.account_stage_changes
FINAL
WHERE rules_version = {version:String}
GROUP BY account_id;

CREATE TABLE abm.account_summary
(
    `account_id` String,
    `score_30d` Float64,
    `events_30d` UInt64,
    `people_30d` UInt64,
    `new_people_7d` UInt64,
    `last_ts` DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY account_id
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW abm.account_summary_refresh
REFRESH EVERY 2 MINUTE TO abm.account_summary
(
    `account_id` String,
    `score_30d` Float64,
    `events_30d` UInt64,
    `people_30d` UInt64,
    `new_people_7d` UInt64,
    `last_ts` DateTime64(3, 'UTC')
)
DEFINER = default SQL SECURITY DEFINER
AS SELECT
    account_id,
    sum(score_30d) AS score_30d,
    sum(events_30d) AS events_30d,
    countIf(last_seen >= (today() - 29)) AS people_30d,
    countIf(first_seen >= (today() - 6)) AS new_people_7d,
    max(last_seen) AS last_ts
FROM
(
    SELECT
        account_id,
        person_key,
        sumIf(score, ts >= (today() - 29)) AS score_30d,
        countIf(ts >= (today() - 29)) AS events_30d,
        min(ts) AS first_seen,
        max(ts) AS last_seen
    FROM abm.events
    FINAL
    WHERE (ts >= (today() - 89)) AND (account_id != '') AND (non_human = '') AND (future = 0)
    GROUP BY
        account_id,
        person_key
)
GROUP BY account_id
SETTINGS max_threads = 1;

CREATE TABLE abm.accounts
(
    `account_id` String,
    `name` String,
    `domains` Array(String),
    `ip_ranges` Array(String),
    `tier` LowCardinality(String),
    `parent_account_id` String DEFAULT '',
    `ultimate_parent_id` String DEFAULT '',
    `customer` UInt8 DEFAULT 0,
    `owner_email` String DEFAULT '',
    `aliases` Array(String) DEFAULT [],
    `crm_ids` Array(String) DEFAULT [],
    `industry` LowCardinality(String) DEFAULT '',
    `employees` Nullable(UInt32),
    `annual_revenue` Nullable(Decimal(18, 2)),
    `country` LowCardinality(String) DEFAULT '' COMMENT 'ISO 3166-1 alpha-2',
    `region` String DEFAULT '',
    `city` String DEFAULT '',
    `zip` String DEFAULT '',
    `technologies` Array(String) DEFAULT [],
    `linkedin_url` String DEFAULT '',
    `stock_symbol` String DEFAULT '',
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY account_id
SETTINGS index_granularity = 8192;

CREATE TABLE abm.alert_deliveries
(
    `alert_id` String COMMENT 'also the webhook-id header: receivers deduplicate on it',
    `destination` LowCardinality(String),
    `status` LowCardinality(String) COMMENT 'delivered | failed | refused',
    `attempts` UInt16,
    `http_status` UInt16 COMMENT '0: no HTTP answer',
    `error` String,
    `first_attempt_at` DateTime64(3, 'UTC'),
    `finished_at` DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (alert_id, destination)
SETTINGS index_granularity = 8192;

CREATE TABLE abm.audience_members
(
    `audience` String,
    `export_id` String,
    `exported_at` DateTime64(3, 'UTC'),
    `account_id` String,
    `format` LowCardinality(String) COMMENT 'linkedin | csv',
    `filters` String COMMENT 'the selection, as given'
)
ENGINE = ReplacingMergeTree
ORDER BY (audience, exported_at, export_id, account_id)
SETTINGS index_granularity = 8192;

CREATE TABLE abm.contacts
(
    `email` String,
    `account_id` String,
    `title` String DEFAULT '',
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3),
    `name` String DEFAULT '',
    `person_key` String DEFAULT ''
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY email
SETTINGS index_granularity = 8192;

CREATE TABLE abm.control_assignments
(
    `assignment_id` String,
    `account_id` String,
    `arm` LowCardinality(String) COMMENT 'control | treatment',
    `stratum` String,
    `share` Float64,
    `seed` Int64,
    `stratify` Array(String),
    `assigned_by` String,
    `assigned_at` DateTime64(3, 'UTC'),
    `reason` String
)
ENGINE = ReplacingMergeTree
ORDER BY (assignment_id, account_id)
SETTINGS index_granularity = 8192;

CREATE VIEW abm.control_current
(
    `account_id` String,
    `arm` LowCardinality(String),
    `assignment_id` String,
    `assigned_at` DateTime64(3, 'UTC')
)
AS SELECT
    account_id,
    arm,
    assignment_id,
    assigned_at
FROM abm.control_assignments
FINAL
WHERE assignment_id = (
    SELECT argMax(assignment_id, assigned_at)
    FROM abm.control_assignments
);

CREATE VIEW abm.coverage_daily
(
    `day` Date,
    `tier` LowCardinality(String),
    `engaged_accounts` UInt64,
    `target_accounts` UInt64,
    `coverage` Float64
)
AS SELECT
    g.day AS day,
    g.tier AS tier,
    g.engaged AS engaged_accounts,
    t.targets AS target_accounts,
    round(g.engaged / t.targets, 4) AS coverage
FROM
(
    SELECT
        toDate(e.ts) AS day,
        a.tier AS tier,
        uniqExact(e.account_id) AS engaged
    FROM abm.events AS e
    FINAL
    INNER JOIN
    (
        SELECT
            account_id,
            tier
        FROM abm.accounts
        FINAL
    ) AS a ON a.account_id = e.account_id
    WHERE e.non_human = ''
    GROUP BY
        day,
        tier
) AS g
INNER JOIN
(
    SELECT
        tier,
        count() AS targets
    FROM abm.accounts
    FINAL
    GROUP BY tier
) AS t ON t.tier = g.tier;

CREATE TABLE abm.currency_rates
(
    `currency` LowCardinality(String),
    `base` LowCardinality(String),
    `rate` Decimal(18, 8),
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY currency
SETTINGS index_granularity = 8192;

CREATE TABLE abm.dead_letters
(
    `topic` LowCardinality(String),
    `partition` UInt32,
    `offset` UInt64,
    `payload` String COMMENT 'the original record bytes, unchanged',
    `error` String,
    `received_at` DateTime64(3, 'UTC'),
    `kind` LowCardinality(String) DEFAULT '' COMMENT 'why, from a closed list: not_json, schema_violation, time_out_of_range, ...',
    `stage` LowCardinality(String) DEFAULT '' COMMENT 'decode | validate | attribute | land'
)
ENGINE = ReplacingMergeTree(received_at)
ORDER BY (topic, partition, offset)
TTL toDateTime(received_at) + toIntervalDay(30)
SETTINGS non_replicated_deduplication_window = 1000, index_granularity = 8192;

CREATE TABLE abm.events
(
    `event_id` String,
    `ts` DateTime64(3, 'UTC'),
    `type` LowCardinality(String),
    `channel` LowCardinality(String),
    `account_id` String,
    `match_method` LowCardinality(String),
    `match_confidence` Float32,
    `match_evidence` String,
    `non_human` LowCardinality(String) DEFAULT '' COMMENT 'why this is not a person (bot_user_agent, hosting_ip, email_scanner, privacy_proxy_open); empty for people',
    `person_key` String COMMENT 'keyed hash of email, else visitor id, else IP: distinct people',
    `visitor_key` String DEFAULT '',
    `email_domain` String,
    `email_local_key` String DEFAULT '',
    `ip` String,
    `ip_block` String DEFAULT '',
    `url` String,
    `referrer` String,
    `campaign_id` String,
    `ad_id` String,
    `platform` LowCardinality(String),
    `company_name` String,
    `user_agent` String,
    `score` Float64,
    `url_class` LowCardinality(String) DEFAULT '',
    `persona` LowCardinality(String) DEFAULT '',
    `rules_version` LowCardinality(String) DEFAULT '',
    `late` UInt8 DEFAULT 0,
    `future` UInt8 DEFAULT 0 COMMENT 'event time more than 5 minutes after it landed (sender clock ahead)',
    `_topic` LowCardinality(String),
    `_partition` UInt32,
    `_offset` UInt64,
    `ingested_at` DateTime64(3, 'UTC'),
    PROJECTION by_account
    (
        SELECT
            event_id,
            ts,
            ingested_at,
            type,
            channel,
            account_id,
            match_method,
            match_confidence,
            match_evidence,
            non_human,
            person_key,
            visitor_key,
            email_domain,
            url,
            url_class,
            campaign_id,
            platform,
            persona,
            score,
            late,
            future
        ORDER BY
            account_id,
            ts
    )
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(ts)
ORDER BY event_id
TTL toDateTime(ts) + toIntervalDay(395)
SETTINGS non_replicated_deduplication_window = 1000, index_granularity = 8192, deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild';

CREATE VIEW abm.failed_deliveries
(
    `alert_id` String,
    `destination` LowCardinality(String),
    `status` LowCardinality(String),
    `attempts` UInt16,
    `http_status` UInt16,
    `error` String,
    `first_attempt_at` DateTime64(3, 'UTC'),
    `finished_at` DateTime64(6, 'UTC')
)
AS SELECT
    alert_id,
    destination,
    status,
    attempts,
    http_status,
    error,
    first_attempt_at,
    finished_at
FROM abm.alert_deliveries
FINAL
WHERE status NOT IN ('delivered', 'control');

CREATE TABLE abm.identities
(
    `visitor_key` String,
    `person_key` String,
    `account_id` String,
    `linked_at` DateTime64(3, 'UTC') COMMENT 'event time of the event that showed both ids'
)
ENGINE = ReplacingMergeTree(linked_at)
ORDER BY visitor_key
SETTINGS index_granularity = 8192;

CREATE TABLE abm.ip_ranges
(
    `cidr` String,
    `account_id` String,
    `kind` LowCardinality(String),
    `source` String,
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY (cidr, kind, account_id)
SETTINGS index_granularity = 8192;

CREATE VIEW abm.match_rate_daily
(
    `day` Date,
    `channel` LowCardinality(String),
    `match_method` LowCardinality(String),
    `events` UInt64,
    `share` Float64
)
AS SELECT
    toDate(ts) AS day,
    channel,
    match_method,
    count() AS events,
    round(count() / sum(count()) OVER (PARTITION BY day, channel), 4) AS share
FROM abm.events
FINAL
WHERE non_human = ''
GROUP BY
    day,
    channel,
    match_method;

CREATE TABLE abm.opportunities
(
    `opportunity_id` String COMMENT 'Salesforce ids in their 18-character form',
    `account_id` String COMMENT 'the matched account; empty when unmatched',
    `match_method` LowCardinality(String) COMMENT 'crm_id | account_id | domain | empty',
    `match_evidence` String,
    `crm_account_id` String COMMENT 'the account id the file gave (CRM id or ours)',
    `account_domain` String COMMENT 'the website or domain the file gave',
    `name` String,
    `stage` String,
    `amount` Decimal(18, 2),
    `currency` LowCardinality(String) COMMENT 'ISO 4217',
    `created_at` DateTime64(3, 'UTC'),
    `close_date` Nullable(Date),
    `is_closed` UInt8,
    `is_won` UInt8,
    `probability` Nullable(Float64),
    `type` LowCardinality(String) COMMENT 'e.g. New Business, Existing Business',
    `source` LowCardinality(String) COMMENT 'salesforce | salesforce_report | hubspot | pulse',
    `updated_at` DateTime64(3, 'UTC') COMMENT 'the version: newest wins',
    `is_deleted` UInt8,
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at, is_deleted)
ORDER BY opportunity_id
SETTINGS index_granularity = 8192;

CREATE TABLE abm.opportunity_stages
(
    `opportunity_id` String,
    `stage` String,
    `entered_at` DateTime64(3, 'UTC'),
    `dated` UInt8 COMMENT '1: the date comes from the file; 0: when a load first saw it',
    `loaded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(dated)
ORDER BY (opportunity_id, stage)
SETTINGS index_granularity = 8192;

CREATE TABLE abm.ops_daily
(
    `day` Date,
    `channel` LowCardinality(String),
    `match_method` LowCardinality(String),
    `non_human` LowCardinality(String),
    `events` UInt64
)
ENGINE = MergeTree
ORDER BY (day, channel, match_method, non_human)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW abm.ops_daily_refresh
REFRESH EVERY 5 MINUTE TO abm.ops_daily
(
    `day` Date,
    `channel` LowCardinality(String),
    `match_method` LowCardinality(String),
    `non_human` LowCardinality(String),
    `events` UInt64
)
DEFINER = default SQL SECURITY DEFINER
AS SELECT
    toDate(ts) AS day,
    channel,
    match_method,
    non_human,
    count() AS events
FROM abm.events
FINAL
WHERE ts >= (today() - 92)
GROUP BY
    day,
    channel,
    match_method,
    non_human
SETTINGS max_threads = 1;

CREATE VIEW abm.parent_engagement_daily
(
    `day` Date,
    `parent_account_id` String,
    `channel` LowCardinality(String),
    `events` UInt64,
    `people` UInt64,
    `score` Float64
)
AS SELECT
    toDate(e.ts) AS day,
    if(a.ultimate_parent_id = '', e.account_id, a.ultimate_parent_id) AS parent_account_id,
    e.channel AS channel,
    count() AS events,
    uniqExact(e.person_key) AS people,
    round(sum(e.score), 2) AS score
FROM abm.events AS e
FINAL
LEFT JOIN
(
    SELECT
        account_id,
        ultimate_parent_id
    FROM abm.accounts
    FINAL
) AS a ON a.account_id = e.account_id
WHERE (e.account_id != '') AND (e.non_human = '')
GROUP BY
    day,
    parent_account_id,
    channel;

CREATE TABLE abm.schema_migrations
(
    `version` UInt32,
    `name` String,
    `applied_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version
SETTINGS index_granularity = 8192;

CREATE TABLE abm.scoring_rules
(
    `version` String,
    `half_life_days` Float64,
    `rules` String COMMENT 'the rules file as applied',
    `applied_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
SETTINGS index_granularity = 8192;

CREATE TABLE abm.suppressions
(
    `person_key` String,
    `created_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY person_key
SETTINGS index_granularity = 8192;

CREATE TABLE abm.surge_alerts
(
    `alert_id` String,
    `account_id` String,
    `account_name` String,
    `tier` LowCardinality(String),
    `owner_email` String DEFAULT '',
    `kind` LowCardinality(String) COMMENT 'surge (daily trend), spike (intraday), cooling (customer), escalation',
    `mode` LowCardinality(String) COMMENT 'daily | spike | cooling',
    `detected_at` DateTime64(3, 'UTC'),
    `window_start` DateTime64(3, 'UTC'),
    `window_end` DateTime64(3, 'UTC'),
    `score` Float64 COMMENT '0-100, 50 = usual',
    `baseline_multiple` Float64 COMMENT 'recent engagement / what the account usually has',
    `people` UInt32 COMMENT 'distinct people in the window',
    `new_people` UInt32,
    `high_intent` UInt32 COMMENT 'pricing and demo page visits in the window',
    `recent` Float64,
    `expected` Float64,
    `reason` String,
    `top_pages` Array(String),
    `top_campaigns` Array(String),
    `episode_started_at` DateTime64(3, 'UTC'),
    `level` UInt16 COMMENT 'escalations before this one in the episode',
    `raised_at` DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'wall-clock time it was written',
    `contact_keys` Array(String) DEFAULT [] COMMENT 'person keys of the known contacts in the window, strongest first'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY alert_id
SETTINGS index_granularity = 8192;

CREATE TABLE abm.surge_episodes
(
    `account_id` String,
    `mode` LowCardinality(String),
    `started_at` DateTime64(3, 'UTC') COMMENT '1970-01-01: no open episode',
    `last_hot_at` DateTime64(3, 'UTC'),
    `alerted_score` Float64,
    `level` UInt16,
    `last_alert_at` DateTime64(3, 'UTC'),
    `as_of` DateTime64(3, 'UTC') DEFAULT greatest(last_hot_at, last_alert_at),
    `updated_at` DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (account_id, mode)
SETTINGS index_granularity = 8192;

CREATE TABLE abm.surge_errors
(
    `topic` LowCardinality(String),
    `partition` UInt32,
    `offset` UInt64,
    `account_id` String COMMENT 'empty when the message could not be read at all',
    `payload` String COMMENT 'what could not be handled: the account\'s part of the message, or its bytes',
    `error` String,
    `recorded_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (topic, partition, offset, account_id)
TTL toDateTime(recorded_at) + toIntervalDay(30)
SETTINGS index_granularity = 8192;
