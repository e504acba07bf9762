"""Query results as a readable table, CSV or a JSON array of row objects."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

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


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]],
          width: int | None = None) -> str:
    """A table for people (rich): a header, a rule, numbers right-aligned. Cells are plain
    text, never markup, and control characters show escaped. Lines are never wrapped
    unless ``width`` (a terminal's) is given."""
    numeric = [all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)
               and bool(rows) for i in range(len(columns))]
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style=None)
    for name, num in zip(columns, numeric, strict=True):
        t.add_column(Text(name), justify="right" if num else "left",
                     overflow="fold", no_wrap=not width)
    for row in rows:
        t.add_row(*(Text(printable(_cell(v))) for v in row))
    console = Console(width=width or 100_000, color_system=None, highlight=False,
                      file=io.StringIO(), soft_wrap=not width)
    with console.capture() as captured:
        console.print(t)
    return "\n".join(line.rstrip() for line in captured.get().rstrip("\n").splitlines())


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
