"""While `pulse run` holds the embedded ClickHouse, other pulse commands still work
through it: queries (read-only), reference loads that workers pick up live, status."""

from __future__ import annotations

import json
import signal

import pytest

from services.warehouse import holder_file
from tests.conftest import PulseEnv, wait_for

pytestmark = pytest.mark.integration


def visits(n: int, ip_prefix: str, start: int = 0) -> list[bytes]:
    return [json.dumps({"event_id": f"live-{ip_prefix}-{i}", "type": "web_visit",
                        "ts": "2026-11-02T10:00:00+01:00", "ip": f"{ip_prefix}.{i % 250 + 1}",
                        "url": "https://vendor.example/", "user_agent": "Mozilla/5.0",
                        "anonymous_id": f"c{i}"}).encode() for i in range(start, start + n)]


def test_query_load_and_status_while_the_pipeline_runs(pulse_env: PulseEnv, tmp_path):
    pulse_env.cli("up")
    run = pulse_env.start_pipeline()
    try:
        producer = pulse_env.producer()
        for raw in visits(200, "198.51.100"):
            producer.send(pulse_env.topic("web_visits"), value=raw)
        producer.flush()

        def landed() -> int:
            return int(pulse_env.query("SELECT count() AS n FROM abm.events")[0]["n"])

        wait_for(lambda: landed() == 200, 60, what="200 events to be queryable")
        rows = pulse_env.query("SELECT account_id, count() AS n FROM abm.events GROUP BY 1")
        assert rows == [{"account_id": "", "n": 200}]  # nobody owns that range yet

        # Analysts are read-only: writes, file() and url() are refused with a clear error.
        for sql in ("INSERT INTO abm.accounts (account_id) VALUES ('x')",
                    "DROP TABLE abm.events",
                    "SELECT * FROM file('/etc/passwd', 'LineAsString')"):
            refused = pulse_env.cli("query", sql, check=False)
            assert refused.returncode == 1 and "readonly" in refused.stderr.lower(), sql
        assert landed() == 200

        # A reference load reaches the running worker without a restart.
        (tmp_path / "accounts.csv").write_text(
            "account_id,name,domains,ip_ranges,tier\nnewco,NewCo,newco.io,198.51.100.0/24,1\n")
        pulse_env.cli("accounts", "load", str(tmp_path / "accounts.csv"))
        wait_for(lambda: pulse_env.query("SELECT count() AS n FROM abm.accounts")[0]["n"] == 1,
                 what="the account load")

        def attributed_to_newco() -> bool:
            for raw in visits(1, "198.51.100", start=1000 + attributed_to_newco.tries):
                producer.send(pulse_env.topic("web_visits"), value=raw)
            producer.flush()
            attributed_to_newco.tries += 1
            rows = pulse_env.query("SELECT count() AS n FROM abm.events WHERE account_id = 'newco'")
            return rows[0]["n"] > 0

        attributed_to_newco.tries = 0  # type: ignore[attr-defined]
        wait_for(attributed_to_newco, 30, interval=0.5, what="live attribution to newco")
        producer.close()

        status = pulse_env.cli("status").stdout
        assert "pipeline  running" in status
        assert "migration(s) applied" in status
        csv_out = pulse_env.cli("query", "SELECT 1 AS a, 'x,y' AS b", "--format", "csv").stdout
        assert csv_out == 'a,b\n1,"x,y"\n'
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(60)
    out = run.log.read_text()  # type: ignore[attr-defined]
    assert run.returncode == 0, out
    consumed = 200 + attributed_to_newco.tries  # type: ignore[attr-defined]
    assert f"processed {consumed} record(s)" in out and f"{consumed} landed" in out, out
    assert not holder_file(pulse_env.settings).exists()
    # With the pipeline stopped, pulse opens the embedded engine itself.
    assert pulse_env.query("SELECT count() AS n FROM abm.accounts")[0]["n"] == 1


def test_a_backlog_lands_in_full_batches_and_a_lone_event_at_once(pulse_env: PulseEnv):
    """Batches end when nothing more is waiting, not at the batch window: a backlog lands in
    full batches (2,000 records), and with a window of a minute a lone event is still
    queryable within seconds."""
    pulse_env.env["PULSE_BATCH_SECONDS"] = "60"
    pulse_env.cli("up")
    producer = pulse_env.producer()
    for raw in visits(5000, "198.51.100"):
        producer.send(pulse_env.topic("web_visits"), value=raw)
    producer.flush()
    run = pulse_env.start_pipeline()
    try:
        def landed() -> int:
            return int(pulse_env.query("SELECT count() AS n FROM abm.events")[0]["n"])

        wait_for(lambda: landed() == 5000, 60, what="the backlog to land")
        producer.send(pulse_env.topic("web_visits"), value=visits(1, "192.0.2")[0])
        producer.flush()
        producer.close()
        wait_for(lambda: landed() == 5001, 20, interval=0.2, what="a lone event to land")
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(60)
    out = run.log.read_text()  # type: ignore[attr-defined]
    assert "processed 5001 record(s)" in out, out
    inserts = int(out.split(" insert(s))")[0].rsplit("(", 1)[1])
    assert inserts <= 6, out  # 2,000 + 2,000 + 1,000, then the lone one
