"""Values a second worker sends to the warehouse holder arrive as they left."""


def test_values_cross_to_the_warehouse_holder_unchanged():
    import json
    from datetime import UTC, date, datetime

    from services.shared_warehouse import decode, encode

    row = ["e1", datetime(2026, 11, 2, 9, 30, tzinfo=UTC), date(2026, 11, 2), b"\x00\xffraw",
           ("t", 1, 2), 3.5, None, [1, "x"]]
    assert decode(json.loads(json.dumps(encode(row)))) == row
