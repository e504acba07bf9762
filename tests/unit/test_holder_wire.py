"""The holder's one codec: values cross to the warehouse holder and back unchanged, so a
command run while `pulse run` holds the engine gets exactly what it gets without it."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.warehouse import wire
from services.warehouse.direct import single_statement


def test_values_cross_to_the_warehouse_holder_unchanged():
    row = ["e1", datetime(2026, 11, 2, 9, 30, tzinfo=UTC), date(2026, 11, 2), b"\x00\xffraw",
           Decimal("120000.10"),
           ("t", 1, 2), 3.5, None, [1, "x"], True,
           datetime(2026, 11, 22, 12, 42, 32, 319826, tzinfo=timezone(timedelta(hours=2)))]
    assert wire.loads(wire.dumps(row)) == row
    params = {"since": datetime(2026, 11, 22, 12, 42, 32, 319826, tzinfo=UTC),
              "accounts": ["a", "b"], "keys": [("t", 1, 2)], "nested": {"k": b"v"}}
    back = wire.loads(wire.dumps(params))
    assert back == params and back["since"].tzinfo is not None


def test_an_untagged_object_is_refused_not_guessed():
    with pytest.raises(ValueError, match="untagged"):
        wire.decode({"sql": "SELECT 1"})


@pytest.mark.parametrize("sql,expected", [
    ("SELECT 1", "SELECT 1"), ("SELECT 1;", "SELECT 1"), ("SELECT ';'; ", "SELECT ';'"),
    ("SELECT 1 -- a; comment", "SELECT 1 -- a; comment"), ("/* ; */ SELECT 2", "/* ; */ SELECT 2"),
    ("SELECT 'it''s; fine'", "SELECT 'it''s; fine'"),
    ("SELECT `a;b` FROM t", "SELECT `a;b` FROM t"),
])
def test_one_statement_passes(sql: str, expected: str):
    assert single_statement(sql) == expected


@pytest.mark.parametrize("sql", ["SELECT sleep(3); SELECT sleep(3); SELECT sleep(3)",
                                 "SELECT 1; DROP TABLE abm.events", ";", "  -- nothing\n"])
def test_several_statements_or_none_are_refused(sql: str):
    with pytest.raises(ValueError, match="one statement per query|empty query"):
        single_statement(sql)


def test_the_holder_names_each_failure_for_what_it_is(tmp_path, monkeypatch, caplog):
    """The warehouse's refusal comes back in its own words (with its code, which tells
    the data from the world); a call it cannot read is a bad call; a failure of the holder
    itself is named as one, with its traceback logged there."""
    import logging

    from services.warehouse import DirectWarehouse, HolderServer, WarehouseError, migrate
    from services.warehouse import holder as holder_module
    from services.warehouse.holder import HolderAddress
    from streams.settings import Settings

    settings = Settings(home=tmp_path)
    wh = DirectWarehouse(settings)
    migrate(wh.writer)
    server = HolderServer(wh, settings)
    server.start()
    try:
        address = HolderAddress(server.port, server.token)
        assert address.call("query", sql="SELECT 41 + 1 AS n")["rows"] == [(42,)]
        with pytest.raises(WarehouseError, match=r"^Code: 47\. .*UNKNOWN_IDENTIFIER"):
            address.call("query", sql="SELECT nosuch FROM system.one")
        with pytest.raises(WarehouseError, match="^bad call: ValueError: unknown operation"):
            address.call("drop_everything")

        def broken(wh: object) -> None:
            raise ZeroDivisionError("division by zero")

        monkeypatch.setitem(holder_module.OPS, "ping", broken)
        with caplog.at_level(logging.ERROR, logger="pulse.holder"), \
                pytest.raises(WarehouseError, match="^the warehouse holder failed: "
                                                    "ZeroDivisionError: division by zero"):
            address.call("ping")
        assert any(r.exc_info for r in caplog.records if r.name == "pulse.holder")
    finally:
        server.stop()
        wh.close()
