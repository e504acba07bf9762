-- How events from people (machine traffic left out) were attributed, per channel and method.
SELECT
    channel,
    if(match_method = '', '(unmatched)', match_method) AS method,
    count() AS events,
    round(100 * count() / sum(count()) OVER (PARTITION BY channel), 1) AS pct_of_channel
FROM abm.events FINAL
WHERE non_human = ''
GROUP BY channel, method
ORDER BY channel, events DESC
