"""``pulse explain`` and ``pulse attribute``: attribution made visible."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from services.reference.loader import sql_string
from services.warehouse import Warehouse
from streams.config import free_mail, non_human_filter
from streams.ingest.codecs import DecodeError, decode
from streams.reference.state import load_attributor
from streams.settings import Settings

_FIELDS = ("event_id", "ts", "type", "channel", "account_id", "match_method",
           "match_confidence", "match_evidence", "non_human", "email_domain", "ip", "url",
           "campaign_id", "company_name", "score", "_topic", "_partition", "_offset",
           "ingested_at")


def explain(warehouse: Warehouse, event_id: str) -> str | None:
    result = warehouse.query(
        f"SELECT {', '.join(_FIELDS)} FROM abm.events FINAL "
        f"WHERE event_id = {sql_string(event_id)}")
    if not result.rows:
        return None
    row = dict(zip(result.columns, result.rows[0], strict=True))
    evidence = json.loads(row["match_evidence"]) if row["match_evidence"] else {}
    account = row["account_id"] or "(none)"
    lines = [
        f"event      {row['event_id']} ({row['type']}, {row['channel']}) at {row['ts']}",
        f"account    {account}",
        f"method     {row['match_method'] or '(no match)'}  "
        f"confidence {float(row['match_confidence']):.2f}",
    ]
    lines += [f"evidence   {k}: {json.dumps(v, ensure_ascii=False)}"
              for k, v in sorted(evidence.items())]
    lines.append(f"counted    {'no: ' + row['non_human'] if row['non_human'] else 'yes'}"
                 f" (score {row['score']})")
    lines.append(f"source     {row['_topic']}[{row['_partition']}]@{row['_offset']}, "
                 f"landed {row['ingested_at']}")
    return "\n".join(lines)


def attribute_lines(settings: Settings, warehouse: Warehouse,
                    lines: Iterable[bytes]) -> Iterator[str]:
    """One JSON line per input line: the attribution, or the reason it cannot be read."""
    attributor = load_attributor(lambda sql: warehouse.query(sql).rows, free_mail(settings),
                                 non_human_filter(settings), settings.name_cutoff,
                                 settings.name_margin)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = decode(line)
        except DecodeError as err:
            yield json.dumps({"line": n, "error": str(err)})
            continue
        m = attributor.attribute(event)
        yield json.dumps({"event_id": event.event_id, "account_id": m.account_id,
                          "match_method": m.method,
                          "match_confidence": m.confidence, "non_human": m.non_human,
                          "match_evidence": m.evidence}, ensure_ascii=False)
