-- The latest alert of each account and mode since a moment, and whether its episode is
-- still open (the surge agent's state), strongest first.
SELECT
    a.account_id,
    a.account_name,
    a.kind,
    a.mode,
    a.detected_at,
    a.score,
    a.baseline_multiple,
    a.people,
    a.reason,
    e.started_at > toDateTime64(0, 3, 'UTC') AS open
FROM
(
    SELECT * FROM abm.surge_alerts FINAL
    WHERE detected_at >= {since:DateTime64(3, 'UTC')}
    ORDER BY detected_at DESC
    LIMIT 1 BY account_id, mode
) AS a
LEFT JOIN (SELECT account_id, mode, started_at FROM abm.surge_episodes FINAL) AS e
    ON e.account_id = a.account_id AND e.mode = a.mode
ORDER BY abs(a.score - 50) DESC, a.detected_at DESC
