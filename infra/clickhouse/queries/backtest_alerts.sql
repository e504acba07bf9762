-- Surge and spike alerts as they were raised (cooling is about customers leaving, and an
-- escalation repeats an episode already counted).
SELECT account_id, detected_at
FROM abm.surge_alerts FINAL
WHERE kind IN ('surge', 'spike')
ORDER BY detected_at, alert_id
