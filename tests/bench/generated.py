"""Generated events for the benchmarks, written straight into ClickHouse (no broker): one
generator, so the web and revenue benchmarks measure the same kind of traffic."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

EVENTS = """
INSERT INTO abm.events (event_id, ts, type, channel, account_id, match_method,
    match_confidence, match_evidence, non_human, person_key, visitor_key, email_domain, ip,
    url, url_class, campaign_id, platform, score, persona, _topic, _partition, _offset,
    ingested_at)
SELECT
    toString(generateUUIDv4(number)) AS event_id,
    now64(3) - toIntervalMillisecond(rand64(1) % ({days} * 86400000)) AS ts,
    ['web_visit', 'web_visit', 'email_open', 'ad_click'][1 + rand(2) % 4] AS type,
    ['web', 'web', 'email', 'ad'][1 + rand(2) % 4] AS channel,
    if(rand(3) % 10 < 7,
       concat('acc-', toString(toUInt32(pow(rand(4) / 4294967295., 2) * {accounts}))),
       '') AS account_id,
    if(account_id = '', '',
       ['ip', 'email_domain', 'contact', 'fuzzy_name'][1 + rand(5) % 4]) AS match_method,
    if(account_id = '', 0, 0.9) AS match_confidence,
    if(account_id = '', '', '{{"ip_range": "203.0.113.0/24"}}') AS match_evidence,
    if(rand(6) % 50 = 0, 'bot_user_agent', '') AS non_human,
    concat('p-', toString(rand(7) % 2000000)) AS person_key,
    '' AS visitor_key, '' AS email_domain, '203.0.113.0' AS ip,
    concat('https://vendor.example/',
           ['pricing', 'docs', 'blog/post', 'demo'][1 + rand(8) % 4]) AS url,
    if(channel = 'web', ['pricing', 'docs', 'blog', 'demo'][1 + rand(8) % 4], '') AS url_class,
    if({web_campaigns} OR channel != 'web', concat('c-', toString(rand(9) % 40)), '')
        AS campaign_id,
    'linkedin' AS platform, (1 + rand(10) % 5) AS score, '' AS persona,
    'web_visits' AS _topic, 0 AS _partition, number AS _offset, now64(3) AS ingested_at
FROM numbers({n})
"""


def fill_events(client: Any, accounts: int, events: int, days: int,
                web_campaigns: bool = True) -> None:
    """``events`` over the last ``days`` days, 70% attributed (skewed across accounts: the
    busiest gets about a 300th), 2% machines. ``web_campaigns`` False: web visits carry no
    campaign, as stored visits do (URLs are kept without their query)."""
    step = 1_000_000
    for start in range(0, events, step):
        client.command(EVENTS.format(accounts=accounts, days=days, n=min(step, events - start),
                                     web_campaigns=int(web_campaigns)))
        print(f"  events {min(start + step, events):,}/{events:,}", file=sys.stderr,
              flush=True)


def fresh_warehouse(prefix: str) -> tuple[Any, Any]:
    """Settings for a new PULSE_HOME in a temporary folder, and a client of its embedded
    ClickHouse with every migration applied."""
    import clickhouse_connect

    from services.warehouse import migrate
    from streams.settings import Settings

    settings = Settings(home=Path(tempfile.mkdtemp(prefix=prefix)))
    client = clickhouse_connect.get_client(dsn=settings.dsn)
    migrate(client)
    return settings, client
