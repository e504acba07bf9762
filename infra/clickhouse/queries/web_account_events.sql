-- An account family's latest events, each with the evidence that attributed it.
SELECT event_id, ts, type, channel, account_id, match_method, match_confidence,
       match_evidence, non_human, persona, email_domain, url, campaign_id, platform, score
FROM abm.account_activity(accounts = {accounts:Array(String)}, since = {since:DateTime64(3, 'UTC')})
ORDER BY ts DESC, event_id
LIMIT {limit:UInt32}
