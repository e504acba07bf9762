-- Firmographics of target accounts (the optional columns of the accounts CSV,
-- account/1-0-5): what fit scores and ad-platform audiences are made from.
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS industry LowCardinality(String) DEFAULT '' AFTER crm_ids;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS employees Nullable(UInt32) AFTER industry;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS annual_revenue Nullable(Decimal(18, 2)) AFTER employees;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS country LowCardinality(String) DEFAULT '' COMMENT 'ISO 3166-1 alpha-2' AFTER annual_revenue;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS region String DEFAULT '' AFTER country;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS city String DEFAULT '' AFTER region;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS zip String DEFAULT '' AFTER city;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS technologies Array(String) DEFAULT [] AFTER zip;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS linkedin_url String DEFAULT '' AFTER technologies;
ALTER TABLE abm.accounts ADD COLUMN IF NOT EXISTS stock_symbol String DEFAULT '' AFTER linkedin_url;
