-- Target accounts as the fit points rules see them: all ({all} = 1) or the ones named.
SELECT account_id, name, tier, industry, employees, annual_revenue, country, region, city,
       technologies
FROM abm.accounts FINAL
WHERE {all:UInt8} = 1 OR has({ids:Array(String)}, account_id)
ORDER BY account_id
