-- Machine traffic (bots, hosting networks, email scanners, privacy-proxy opens) stays in
-- abm.events for audit with its reason, and never counts as engagement.
ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS non_human LowCardinality(String) DEFAULT ''
    COMMENT 'why this is not a person (bot_user_agent, hosting_ip, email_scanner, privacy_proxy_open); empty for people'
    AFTER match_evidence;

CREATE OR REPLACE VIEW abm.account_engagement_daily AS
SELECT
    toDate(ts) AS day,
    account_id,
    channel,
    count() AS events,
    uniqExact(person_key) AS people,
    round(sum(score), 2) AS score
FROM abm.events FINAL
WHERE account_id != '' AND non_human = ''
GROUP BY day, account_id, channel;
