-- Control-group assignments (`pulse control assign`): every assignment is kept, frozen,
-- with who made it and when; the newest assignment_id is in force. Control accounts are
-- left out of audiences and their alerts are recorded but not delivered, so lift
-- (`pulse lift`) compares worked accounts with accounts that were not.
CREATE TABLE IF NOT EXISTS abm.control_assignments
(
    assignment_id String,
    account_id String,
    arm LowCardinality(String) COMMENT 'control | treatment',
    stratum String,
    share Float64,
    seed Int64,
    stratify Array(String),
    assigned_by String,
    assigned_at DateTime64(3, 'UTC'),
    reason String
)
ENGINE = ReplacingMergeTree
ORDER BY (assignment_id, account_id);

-- The assignment in force: the newest one's arm per account.
CREATE VIEW IF NOT EXISTS abm.control_current AS
SELECT account_id, arm, assignment_id, assigned_at
FROM abm.control_assignments FINAL
WHERE assignment_id = (SELECT argMax(assignment_id, assigned_at) FROM abm.control_assignments);

-- An alert held back because its account is in control (status 'control') did not fail.
CREATE OR REPLACE VIEW abm.failed_deliveries AS
SELECT alert_id, destination, status, attempts, http_status, error, first_attempt_at,
       finished_at
FROM abm.alert_deliveries FINAL
WHERE status NOT IN ('delivered', 'control');
