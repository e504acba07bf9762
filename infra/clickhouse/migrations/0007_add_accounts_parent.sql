-- Account hierarchies: the loader resolves each account's ultimate parent (itself when it
-- has none), so roll-ups to the top of a group are a plain join.
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS parent_account_id String DEFAULT '' AFTER tier;

ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS ultimate_parent_id String DEFAULT ''
    AFTER parent_account_id;

CREATE OR REPLACE VIEW abm.parent_engagement_daily AS
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
