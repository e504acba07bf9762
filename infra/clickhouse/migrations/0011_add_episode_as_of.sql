-- The event time of the latest reading each episode decided on. A reading older than it
-- arrived out of order and only counts as history (a decision on it would move the state
-- back in time: a second alert inside the cooldown, an escalation below the alert it
-- escalates). Rows written before this column take their latest known time.
ALTER TABLE abm.surge_episodes
    ADD COLUMN IF NOT EXISTS as_of DateTime64(3, 'UTC') DEFAULT greatest(last_hot_at, last_alert_at)
        AFTER last_alert_at;
