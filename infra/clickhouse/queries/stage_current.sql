-- Each account's stage under one rules version at {at} (accounts with no change yet are
-- unaware), and whether the version has any history at all.
SELECT account_id, argMax(stage, changed_at) AS stage, max(changed_at) AS since
FROM abm.account_stage_changes FINAL
WHERE rules_version = {version:String} AND changed_at <= {at:DateTime64(3, 'UTC')}
GROUP BY account_id
