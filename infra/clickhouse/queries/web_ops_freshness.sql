-- When the last event landed: read from the newest part of each partition (the one holding
-- its latest insert), not from every event. The event-time watermark: the latest event time
-- that is not flagged as ahead of its landing, looked for since {since} (parts older than
-- that are skipped by their time index); none there means the pipeline has been idle.
SELECT
    (SELECT max(ingested_at) FROM abm.events
     WHERE _part IN (SELECT argMax(name, max_block_number) FROM system.parts
                     WHERE database = 'abm' AND table = 'events' AND active
                     GROUP BY partition_id)) AS last_landed,
    (SELECT maxIf(ts, future = 0) FROM abm.events
     WHERE ts >= {since:DateTime64(3, 'UTC')}) AS watermark
