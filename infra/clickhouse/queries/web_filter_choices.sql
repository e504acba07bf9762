-- The choices of the pages' tier and owner filters.
SELECT groupUniqArray(tier) AS tiers, groupUniqArrayIf(owner_email, owner_email != '') AS owners
FROM abm.accounts FINAL
