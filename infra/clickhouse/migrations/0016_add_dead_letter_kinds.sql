-- Dead letters with a kind (a closed list, streams/ingest/rows.py KINDS) and the stage that
-- refused them (decode, validate, attribute, land), as Snowplow's failed events carry a type
-- and a processing stage: ops group by kind, and can filter by it, instead of by a regular
-- expression over free text. Rows written before get the kind their reason implies.
ALTER TABLE abm.dead_letters ADD COLUMN IF NOT EXISTS kind LowCardinality(String) DEFAULT '' COMMENT 'why, from a closed list: not_json, schema_violation, time_out_of_range, ...';
ALTER TABLE abm.dead_letters ADD COLUMN IF NOT EXISTS stage LowCardinality(String) DEFAULT '' COMMENT 'decode | validate | attribute | land';
ALTER TABLE abm.dead_letters UPDATE
    kind = multiIf(
        startsWith(error, 'empty record'), 'empty',
        startsWith(error, 'record too large'), 'too_large',
        startsWith(error, 'invalid UTF-8'), 'not_utf8',
        startsWith(error, 'invalid JSON'), 'not_json',
        startsWith(error, 'expected a JSON object'), 'not_an_object',
        startsWith(error, 'unknown event type'), 'unknown_type',
        position(error, 'does not belong on topic') > 0, 'wrong_topic',
        startsWith(error, 'event time '), 'time_out_of_range',
        startsWith(error, 'processing error'), 'processing_error',
        startsWith(error, 'the warehouse refused'), 'warehouse_refused',
        startsWith(error, 'unreadable '), 'unreadable_reference',
        'schema_violation'),
    stage = multiIf(
        startsWith(error, 'empty record') OR startsWith(error, 'record too large')
            OR startsWith(error, 'invalid UTF-8') OR startsWith(error, 'invalid JSON')
            OR startsWith(error, 'unreadable '), 'decode',
        startsWith(error, 'processing error: landing failed'), 'land',
        startsWith(error, 'processing error'), 'attribute',
        startsWith(error, 'the warehouse refused'), 'land',
        'validate')
WHERE kind = ''
SETTINGS mutations_sync = 1;
