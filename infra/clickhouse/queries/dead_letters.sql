-- `pulse dead-letters`: the newest dead letters of a period, of a kind or stage (empty:
-- any), with their source position and reason (the bytes stay in the table).
SELECT formatDateTime(received_at, '%F %T') AS received, kind, stage, topic, partition,
       offset, error
FROM abm.dead_letters FINAL
WHERE received_at >= {since:DateTime64(3, 'UTC')}
  AND ({kind:String} = '' OR kind = {kind:String})
  AND ({stage:String} = '' OR stage = {stage:String})
ORDER BY received_at DESC, topic, partition, offset
LIMIT {limit:UInt32}
