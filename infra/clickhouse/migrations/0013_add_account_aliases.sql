-- Other names an account goes by (brands, short names), matched like its name when events
-- carry a typed company name. The optional `aliases` column of the accounts CSV.
ALTER TABLE abm.accounts
    ADD COLUMN IF NOT EXISTS aliases Array(String) DEFAULT [] AFTER owner_email;
