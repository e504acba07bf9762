-- Each account's journey stage under one rules version, its latest change: a parameterised
-- view, read as abm.account_stages(version = '...'). Accounts with no change are unaware
-- (the pages and audiences read them so).
CREATE VIEW IF NOT EXISTS abm.account_stages AS
SELECT account_id, argMax(stage, changed_at) AS stage, max(changed_at) AS since
FROM abm.account_stage_changes FINAL
WHERE rules_version = {version:String}
GROUP BY account_id;
