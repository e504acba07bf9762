-- Events of people per day, channel and attribution method ('' = not attributed) over the
-- last 30 days.
SELECT day, channel, match_method, sum(events) AS events
FROM abm.ops_daily
WHERE day >= {today:Date} - 29 AND non_human = ''
GROUP BY day, channel, match_method
ORDER BY day, channel, match_method
