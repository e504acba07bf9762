-- When the last event landed, and the event-time watermark (the latest event time that is
-- not flagged as ahead of its landing).
SELECT max(ingested_at) AS last_landed, maxIf(ts, future = 0) AS watermark
FROM abm.events
