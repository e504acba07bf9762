-- Stage counts over time: at the end of each of the last {weeks} weeks up to {until}, how
-- many accounts held each journey stage (rules version {stages}); accounts with no change
-- by then are unaware (the page counts them from the total).
SELECT w AS week_end, stage, count() AS accounts
FROM
(
    SELECT account_id, w, argMaxIf(stage, changed_at, changed_at <= w) AS stage
    FROM abm.account_stage_changes FINAL
    ARRAY JOIN arrayMap(i -> {until:DateTime64(3, 'UTC')} - toIntervalWeek(i),
                        range({weeks:UInt8})) AS w
    WHERE rules_version = {stages:String}
    GROUP BY account_id, w
)
WHERE stage != ''
GROUP BY week_end, stage
ORDER BY week_end, stage
