"""What `pulse query` prints can neither drive the terminal nor a spreadsheet."""

import csv
import io
import json

from services.render import as_csv, as_json, table

STORED = [("https://vendor.example/\x1b[2J\x1b]0;pwned\x07page", "=cmd|' /C calc'!A0",
           "@SUM(1+1)", 42, -1.5, "plain", "a\u202eb")]
COLUMNS = ["url", "name", "other", "n", "x", "ok", "bidi"]


def test_output_injection_table_shows_control_characters_escaped():
    out = table(COLUMNS, STORED)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out and "\\u202e" in out


def test_output_injection_csv_defuses_formulas_and_keeps_numbers():
    rows = list(csv.reader(io.StringIO(as_csv(COLUMNS, STORED))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "'@SUM(1+1)"
    assert rows[1][3] == "42" and rows[1][4] == "-1.5" and rows[1][5] == "plain"
    assert "\x1b" not in rows[1][0]


def test_json_keeps_the_values_exactly():
    assert json.loads(as_json(COLUMNS, STORED))[0]["url"] == STORED[0][0]
