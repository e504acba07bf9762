-- Re-score every event under the given rules (parameters from streams/scoring.py: the
-- same arithmetic as at ingest). A new version of each row replaces the old one.
INSERT INTO abm.events
SELECT * EXCEPT (class_index, new_class, new_score) REPLACE (
    new_class AS url_class,
    new_score AS score,
    {version:String} AS rules_version,
    now64(3) AS ingested_at
)
FROM
(
    SELECT
        e.*,
        arrayFirstIndex(
            p -> (lower(path(e.url)) = p OR startsWith(lower(path(e.url)), concat(p, '/'))),
            {prefixes:Array(String)}) AS class_index,
        if(e.type != 'web_visit', '',
           if(class_index = 0, 'other', {prefix_classes:Array(String)}[class_index]))
            AS new_class,
        round(transform(e.type, {types:Array(String)}, {type_weights:Array(Float64)}, 0.)
              * if(e.type = 'web_visit',
                   transform(new_class, {classes:Array(String)}, {class_weights:Array(Float64)},
                             1.), 1.)
              * transform(a.tier, {tiers:Array(String)}, {tier_multipliers:Array(Float64)}, 1.)
              * transform(e.persona, {personas:Array(String)},
                          {persona_multipliers:Array(Float64)}, 1.), 4) AS new_score
    FROM abm.events AS e FINAL
    LEFT JOIN (SELECT account_id, tier FROM abm.accounts FINAL) AS a
        ON a.account_id = e.account_id
)
