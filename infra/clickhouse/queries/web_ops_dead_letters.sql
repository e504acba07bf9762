-- Dead letters of the last 30 days, three kinds of row:
-- 'kind' rows count each kind of dead letter (and the stage that refused it);
-- 'reason' rows count each reason within a kind (its text with quoted values and line /
-- column numbers after the first ':' blanked, so "field 'ip': '10.0.0.300' is not ..." and
-- "field 'ip': '1.2.3' is not ..." count together);
-- 'example' rows are the latest records with their source position.
SELECT row, kind, stage, reason, n, topic, partition, offset, last_received, payload
FROM
(
    SELECT 'kind' AS row, kind, stage, '' AS reason, count() AS n,
           '' AS topic, toUInt32(0) AS partition, toUInt64(0) AS offset,
           max(received_at) AS last_received, '' AS payload
    FROM abm.dead_letters FINAL
    WHERE received_at >= {since:DateTime64(3, 'UTC')}
    GROUP BY kind, stage
    UNION ALL
    SELECT 'reason', kind, '',
           if(position(error, ':') = 0, error,
              concat(substring(error, 1, position(error, ':')),
                     replaceRegexpAll(replaceRegexpAll(substring(error, position(error, ':') + 1),
                                                       '\'[^\']*\'', '…'),
                                      '(line|column|char) [0-9]+', '\\1 N'))) AS reason,
           count() AS n,
           '', toUInt32(0), toUInt64(0), max(received_at), ''
    FROM abm.dead_letters FINAL
    WHERE received_at >= {since:DateTime64(3, 'UTC')}
    GROUP BY kind, reason
    ORDER BY n DESC, reason
    LIMIT 20
    UNION ALL
    SELECT 'example', kind, stage, error, 1, topic, partition, offset, received_at,
           substring(payload, 1, 240)
    FROM abm.dead_letters FINAL
    WHERE received_at >= {since:DateTime64(3, 'UTC')}
    ORDER BY received_at DESC, topic, partition, offset
    LIMIT 10
)
ORDER BY row DESC, n DESC, kind, last_received DESC
