import json
from datetime import date

from services.render import as_csv, as_json, table


def test_json_is_an_array_of_row_objects():
    out = json.loads(as_json(["day", "account_id", "events"], [(date(2026, 11, 2), "acme", 3)]))
    assert out == [{"day": "2026-11-02", "account_id": "acme", "events": 3}]


def test_table_aligns_numbers_right():
    lines = table(["account", "events"], [("acme", 3), ("globex", 12)]).splitlines()
    assert lines[0].split() == ["account", "events"]
    assert lines[2].endswith("     3") and lines[3].endswith("    12")


def test_csv_quotes_when_needed_and_keeps_numbers_raw():
    assert as_csv(["a", "b", "c"], [("x,y", 1, 188256.95)]) == 'a,b,c\n"x,y",1,188256.95'
