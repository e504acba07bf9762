-- Events stamped more than 5 minutes after they landed: the sender's clock runs ahead.
-- Stored and counted like any other, flagged so analysts can see them; they never move
-- the event-time watermark or raise an alert.
ALTER TABLE abm.events
    ADD COLUMN IF NOT EXISTS future UInt8 DEFAULT 0
        COMMENT 'event time more than 5 minutes after it landed (sender clock ahead)'
        AFTER late;
