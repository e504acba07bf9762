-- Applied before every migration run: the database and the record of applied migrations.
CREATE DATABASE IF NOT EXISTS abm;

CREATE TABLE IF NOT EXISTS abm.schema_migrations
(
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version;
