-- Applied only on a ClickHouse server (chDB has no users; there `pulse query` enforces
-- readonly = 1 itself). Analysts get SELECT on abm.* and a read-only profile, which also
-- refuses file(), url() and settings changes. Grant the role to analyst users:
--   CREATE USER jane IDENTIFIED BY '...' DEFAULT ROLE analyst; GRANT analyst TO jane;
CREATE ROLE IF NOT EXISTS analyst;

GRANT SELECT ON abm.* TO analyst;

CREATE SETTINGS PROFILE IF NOT EXISTS analyst_readonly SETTINGS readonly = 1 TO analyst;
