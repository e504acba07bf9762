-- One row per visitor: who they turned out to be. A later link replaces an earlier one.
CREATE TABLE IF NOT EXISTS abm.identities
(
    visitor_key String,
    person_key String,
    account_id String,
    linked_at DateTime64(3, 'UTC') COMMENT 'event time of the event that showed both ids'
)
ENGINE = ReplacingMergeTree(linked_at)
ORDER BY visitor_key;

-- People erased with `pulse forget` (their person key and their browsers' visitor keys):
-- their events are dropped at ingest, so a replay does not bring them back.
CREATE TABLE IF NOT EXISTS abm.suppressions
(
    person_key String,
    created_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY person_key;
