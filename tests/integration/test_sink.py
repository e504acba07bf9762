"""The ClickHouse sink on the real engine: inserts never exceed the partitions-per-insert
limit, and a row the warehouse refuses becomes a dead letter while the rest lands."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import clickhouse_connect
import pytest

from services.warehouse import migrate
from streams.ingest.batch import RawRecord, process_batch
from streams.warehouse.events import ClickHouseSink, partition_chunks
from tests.unit.test_pipeline import attributor

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def sink(tmp_path):
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'ch'}")
    migrate(client)
    yield ClickHouseSink(client)
    client.close()


def visits(n: int, start: int = 0) -> list[RawRecord]:
    return [RawRecord("web_visits", 0, start + i, json.dumps({
        "event_id": f"e{start + i}", "type": "web_visit", "ts": NOW.isoformat(),
        "ip": "198.18.0.1", "url": "https://x/", "user_agent": "Mozilla/5.0"}).encode())
        for i in range(n)]


def test_too_many_partitions_for_single_insert_block_a_ten_year_batch_inserts(sink):
    """120 events spread over ten years (what a backfill sends): one insert would touch 120
    monthly partitions and ClickHouse refuses over 100; the sink splits by partition."""
    batch = process_batch(visits(120), attributor(), b"k", now=NOW)
    batch.events = [row._replace(ts=datetime(2016 + i // 12, i % 12 + 1, 5, tzinfo=UTC))
                    for i, row in enumerate(batch.events)]
    assert [len(c) for c in partition_chunks(batch.events)] == [50, 50, 20]
    summary = sink.write(batch)  # no "Too many partitions for single INSERT block"
    assert summary.events == 120 and summary.dead_letter_rows == []


def test_a_row_the_warehouse_refuses_is_dead_lettered_and_the_rest_lands(sink):
    batch = process_batch(visits(40), attributor(), b"k", now=NOW)
    batch.events[17] = batch.events[17]._replace(source_partition=2**40)  # not a UInt32
    summary = sink.write(batch)
    assert summary.events == 39
    [dead] = summary.dead_letter_rows
    assert dead[2] == 17 and dead[3] == batch.sources[17].value
    assert dead[4].startswith("the warehouse refused the event: ")
    assert sink.query("SELECT count() FROM abm.events")[0][0] == 39
    assert sink.query("SELECT offset FROM abm.dead_letters") == [(17,)]
