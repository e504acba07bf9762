-- Re-attribute a visitor's events once they turn out to be a known person: a new version
-- of each event row (ReplacingMergeTree keeps the newest per event_id, so nothing is
-- counted twice). Events attributed by their own email are left as they are.
-- The filter sits in a subquery: in ClickHouse the REPLACE aliases below would otherwise
-- shadow the columns in WHERE.
INSERT INTO abm.events
SELECT * REPLACE (
    {account_id:String} AS account_id,
    'stitched' AS match_method,
    toFloat32({confidence:Float64}) AS match_confidence,
    {evidence:String} AS match_evidence,
    {person_key:String} AS person_key,
    now64(3) AS ingested_at
)
FROM (
    SELECT *
    FROM abm.events FINAL
    WHERE visitor_key = {visitor_key:String}
      AND ts >= {since:DateTime64(3, 'UTC')}
      AND match_method NOT IN ('contact', 'email_domain')
      AND NOT (match_method = 'stitched' AND account_id = {account_id:String}
               AND person_key = {person_key:String})
)
