-- The journey-stage changes (rules version {version}) of the accounts in the control
-- assignment in force, up to {until}: `pulse lift` reads from them which accounts were
-- engaged (or higher) at some moment of its window.
SELECT account_id, stage, changed_at
FROM abm.account_stage_changes FINAL
WHERE rules_version = {version:String} AND changed_at < {until:DateTime64(3, 'UTC')}
  AND account_id IN (SELECT account_id FROM abm.control_current)
ORDER BY account_id, changed_at
