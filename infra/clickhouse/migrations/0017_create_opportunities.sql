-- CRM opportunities (`pulse opportunities load`), so engagement can be weighed against
-- pipeline. The newest version of each opportunity wins (its SystemModstamp or
-- updated_at), across loads in any order; an IsDeleted version removes it from FINAL.
-- account_id is the matched AccountPulse account ('' when unmatched: kept, and reported),
-- with how it was matched and the evidence, as events keep theirs.
ALTER TABLE abm.accounts
    ADD COLUMN IF NOT EXISTS crm_ids Array(String) DEFAULT [] AFTER aliases;

CREATE TABLE IF NOT EXISTS abm.opportunities
(
    opportunity_id String COMMENT 'Salesforce ids in their 18-character form',
    account_id String COMMENT 'the matched account; empty when unmatched',
    match_method LowCardinality(String) COMMENT 'crm_id | account_id | domain | empty',
    match_evidence String,
    crm_account_id String COMMENT 'the account id the file gave (CRM id or ours)',
    account_domain String COMMENT 'the website or domain the file gave',
    name String,
    stage String,
    amount Decimal(18, 2),
    currency LowCardinality(String) COMMENT 'ISO 4217',
    created_at DateTime64(3, 'UTC'),
    close_date Nullable(Date),
    is_closed UInt8,
    is_won UInt8,
    probability Nullable(Float64),
    type LowCardinality(String) COMMENT 'e.g. New Business, Existing Business',
    source LowCardinality(String) COMMENT 'salesforce | salesforce_report | hubspot | pulse',
    updated_at DateTime64(3, 'UTC') COMMENT 'the version: newest wins',
    is_deleted UInt8,
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at, is_deleted)
ORDER BY opportunity_id;

-- Every stage an opportunity was seen in, once each: when a load first saw it there, or the
-- date the file gives (HubSpot's hs_v2_date_entered_<stage>), which wins.
CREATE TABLE IF NOT EXISTS abm.opportunity_stages
(
    opportunity_id String,
    stage String,
    entered_at DateTime64(3, 'UTC'),
    dated UInt8 COMMENT '1: the date comes from the file; 0: when a load first saw it',
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(dated)
ORDER BY (opportunity_id, stage);

-- Exchange rates for reporting amounts in one currency (`pulse opportunities rates`):
-- an amount in `currency` times `rate` is in `base`. Without rates, amounts in different
-- currencies are reported apart and never added.
CREATE TABLE IF NOT EXISTS abm.currency_rates
(
    currency LowCardinality(String),
    base LowCardinality(String),
    rate Decimal(18, 8),
    loaded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY currency;
