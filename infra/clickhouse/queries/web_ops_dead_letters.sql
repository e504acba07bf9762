-- Dead letters of the last 30 days: kind = 'reason' rows count each reason (its text up to
-- the first ':'), kind = 'example' rows are the latest records with their source position.
SELECT kind, reason, n, topic, partition, offset, last_received, payload
FROM
(
    SELECT 'reason' AS kind, splitByChar(':', error)[1] AS reason, count() AS n,
           '' AS topic, toUInt32(0) AS partition, toUInt64(0) AS offset,
           max(received_at) AS last_received, '' AS payload
    FROM abm.dead_letters FINAL
    WHERE received_at >= {since:DateTime64(3, 'UTC')}
    GROUP BY reason
    ORDER BY n DESC, reason
    LIMIT 20
    UNION ALL
    SELECT 'example', error, 1, topic, partition, offset, received_at,
           substring(payload, 1, 240)
    FROM abm.dead_letters FINAL
    WHERE received_at >= {since:DateTime64(3, 'UTC')}
    ORDER BY received_at DESC, topic, partition, offset
    LIMIT 10
)
ORDER BY kind DESC, n DESC, last_received DESC
