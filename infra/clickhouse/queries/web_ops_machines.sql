-- Machine traffic (not counted) by reason and channel over the last 30 days.
SELECT non_human AS reason, channel, sum(events) AS events
FROM abm.ops_daily
WHERE day >= {today:Date} - 29 AND non_human != ''
GROUP BY reason, channel
ORDER BY events DESC, reason, channel
