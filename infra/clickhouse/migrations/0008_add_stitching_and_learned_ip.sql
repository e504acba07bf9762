-- Identity stitching and learned IP blocks.
-- visitor_key: HMAC of the anonymous id, to find a visitor's events once they are known.
-- ip_block: the IP's /24 (IPv4) or /48 (IPv6) when no range claims it, evidence for learning.
ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS visitor_key String DEFAULT '' AFTER person_key;

ALTER TABLE abm.events ADD COLUMN IF NOT EXISTS ip_block String DEFAULT '' AFTER ip;

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
