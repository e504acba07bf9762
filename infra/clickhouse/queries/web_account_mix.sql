-- What an account family's window is made of: per kind (page, campaign, method) the top
-- values with events and people. kind: page | campaign | method.
SELECT kind, value, extra, events, people, confidence
FROM
(
    SELECT 'page' AS kind, path(url) AS value, any(url_class) AS extra, count() AS events,
           uniqExact(person_key) AS people, 0. AS confidence
    FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
    WHERE non_human = '' AND future = 0 AND channel = 'web' AND url != ''
    GROUP BY value
    ORDER BY events DESC, value
    LIMIT 10
    UNION ALL
    SELECT 'campaign', campaign_id, any(platform) || if(any(platform) = '', '', ' · ') || any(channel),
           count(), uniqExact(person_key), 0.
    FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
    WHERE non_human = '' AND future = 0 AND campaign_id != ''
    GROUP BY campaign_id
    ORDER BY count() DESC, campaign_id
    LIMIT 10
    UNION ALL
    SELECT 'method', match_method, '', count(), uniqExact(person_key),
           round(avg(match_confidence), 2)
    FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
    WHERE non_human = '' AND future = 0
    GROUP BY match_method
)
ORDER BY kind, events DESC, value
