-- Customers are watched for cooling (churn risk); alerts can be routed to an account's
-- owner. Both optional columns of the accounts CSV.
ALTER TABLE abm.accounts
    ADD COLUMN IF NOT EXISTS customer UInt8 DEFAULT 0 AFTER ultimate_parent_id,
    ADD COLUMN IF NOT EXISTS owner_email String DEFAULT '' AFTER customer;
