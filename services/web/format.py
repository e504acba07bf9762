"""How numbers and times read on the pages. Times go out as UTC ISO in <time datetime>;
the page's script shows them in the viewer's time zone."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

EPOCH = datetime(1971, 1, 1, tzinfo=UTC)  # ClickHouse's zero DateTime means "never"


def num(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "–"
    return f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,}"


def pct(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{float(value) * 100:.{digits}f}%"


def when(value: Any, style: str = "datetime") -> Markup:
    """<time> in UTC; app.js rewrites its text in the viewer's zone (style: datetime |
    date | hour)."""
    if value is None or value == "":
        return Markup("–")
    if type(value) is date:
        return Markup('<time datetime="{0}" data-style="date">{0}</time>').format(
            value.isoformat())
    at = value if value.tzinfo else value.replace(tzinfo=UTC)
    if at < EPOCH:
        return Markup("never")
    iso = at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    text = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" data-style="{}">{}</time>').format(iso, style, text)


def as_json(value: Any) -> Markup:
    """JSON for a <script type="application/json"> block (no '</' can close it)."""
    return Markup(json.dumps(value, separators=(",", ":")).replace("</", "<\\/"))


def label(value: str) -> str:
    return (value or "").replace("_", " ")


STAGE_LABELS = {"mqa": "MQA", "unaware": "Unaware", "aware": "Aware", "engaged": "Engaged",
                "opportunity": "Opportunity", "customer": "Customer"}


def stage_label(value: str) -> str:
    return STAGE_LABELS.get(value, value)


def path_segment(value: Any) -> str:
    """An id as one URL path segment. Jinja's urlencode leaves '/' alone, so an account id
    '../alerts' linked to another page; here every reserved character is escaped, and a
    bare '.' or '..' too (a browser resolves those as steps up the path)."""
    quoted = quote(str(value), safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def visible(value: str) -> str:
    """Bytes a person cannot see (NUL and the other controls, as dead letters carry them)
    written as \\xNN, so the page shows them and holds no raw control bytes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value or "")


def shorten(value: str, size: int = 60) -> str:
    value = value or ""
    return value if len(value) <= size else value[: size - 1] + "…"


FILTERS = {"num": num, "pct": pct, "when": when, "as_json": as_json, "label": label,
           "shorten": shorten, "e": escape, "path_segment": path_segment, "visible": visible,
           "stage_label": stage_label}
