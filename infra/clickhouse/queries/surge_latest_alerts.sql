-- The latest stored alert of each account and mode: the surge agent's state is brought up
-- to it when the episode row saved with it is older (a crash between the two).
SELECT
    alert_id, account_id, account_name, tier, owner_email, kind, mode, detected_at,
    window_start, window_end, score, baseline_multiple, people, new_people, high_intent,
    recent, expected, reason, top_pages, top_campaigns, episode_started_at, level,
    contact_keys
FROM abm.surge_alerts FINAL
WHERE account_id IN {accounts:Array(String)}
ORDER BY detected_at DESC, level DESC
LIMIT 1 BY account_id, mode
