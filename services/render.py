"""Query results as a readable table, CSV or a JSON array of row objects."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

# Control characters (an ESC in a stored URL can rewrite the terminal) are shown escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A cell starting with one of these is a formula to a spreadsheet ("=cmd|' /C calc'!A0").
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    return str(value)


def _raw(value: Any) -> str:
    """Machine-readable cell: numbers as Python writes them, no thousands separators; text
    that a spreadsheet would run as a formula is prefixed with ' (OWASP's advice)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return repr(value)
    text = printable(_cell(value))
    return "'" + text if text.startswith(_FORMULA) else text


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[printable(_cell(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[i], int | float) for r in rows) and bool(rows)
               for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric, strict=True)).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out)


def as_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_raw(v) for v in row] for row in rows)
    return buf.getvalue().rstrip("\n")


def jsonable(value: Any) -> Any:
    """A ClickHouse value as plain JSON: dates ISO 8601, bytes as text, the rest as str."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def as_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    return json.dumps([{c: jsonable(v) for c, v in zip(columns, row, strict=True)}
                       for row in rows], ensure_ascii=False)
