-- The alert feed (or one account family's alerts), newest first, with each destination's
-- delivery status and whether the account is in the control group now (its alerts are
-- recorded, not delivered). total = alerts matching the filters, on every row.
SELECT
    a.alert_id AS alert_id, a.account_id AS account_id, a.account_name AS account_name,
    a.tier AS tier, a.owner_email AS owner, a.kind AS kind, a.detected_at AS detected_at,
    a.score AS score, a.baseline_multiple AS multiple, a.people AS people,
    a.new_people AS new_people, a.high_intent AS high_intent, a.reason AS reason,
    a.top_pages AS top_pages, a.level AS level, a.contact_keys AS contact_keys,
    d.deliveries AS deliveries, c.arm = 'control' AS control,
    count() OVER () AS total
FROM
(
    SELECT * FROM abm.surge_alerts FINAL
    WHERE ({kind:String} = '' OR kind = {kind:String})
      AND ({tier:String} = '' OR tier = {tier:String})
      AND ({owner:String} = '' OR owner_email = {owner:String})
      AND (empty({accounts:Array(String)}) OR account_id IN {accounts:Array(String)})
) AS a
LEFT JOIN
(
    SELECT alert_id, groupArray((destination, status, attempts, http_status, error)) AS deliveries
    FROM
    (
        SELECT alert_id, destination, status, attempts, http_status, error
        FROM abm.alert_deliveries FINAL
        ORDER BY destination
    )
    GROUP BY alert_id
) AS d ON d.alert_id = a.alert_id
LEFT JOIN (SELECT account_id, arm FROM abm.control_current) AS c ON c.account_id = a.account_id
ORDER BY a.detected_at DESC, a.alert_id
LIMIT {limit:UInt32} OFFSET {offset:UInt32}
