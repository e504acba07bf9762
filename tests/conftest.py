"""Shared fixtures. One real Kafka broker per test session (free ports, own directory),
started by the project's own code; each test gets its own topics, consumer group and
embedded ClickHouse directory."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from services.runtime.local_kafka import LocalKafka, free_port
from streams.settings import Settings

PULSE = str(Path(sys.executable).parent / "pulse")
# `PulseEnv.settings` swaps os.environ for a moment. Without this lock, two threads (a test
# and its publisher thread) interleave the swap and one restores the other's variables for
# good: a later test's `pulse run` then inherited PULSE_BATCH_SIZE=400 from a fault test.
ENVIRON = threading.Lock()


def environ() -> dict[str, str]:
    with ENVIRON:
        return dict(os.environ)


@pytest.fixture(autouse=True)
def no_leaked_settings() -> Iterator[None]:
    """A test leaves the process's PULSE_* variables as it found them: later tests' `pulse`
    commands inherit them."""
    before = {k: v for k, v in environ().items() if k.startswith("PULSE_")}
    yield
    after = {k: v for k, v in environ().items() if k.startswith("PULSE_")}
    assert after == before, f"PULSE_* variables leaked: {set(after.items()) ^ set(before.items())}"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("broker")
    settings = Settings(home=home, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    broker = LocalKafka(settings)
    broker.start(timeout=120)
    yield settings.kafka_bootstrap
    broker.stop()


@dataclass
class PulseEnv:
    env: dict[str, str]
    procs: list[subprocess.Popen[str]] = field(default_factory=list)  # killed at teardown

    @property
    def settings(self) -> Settings:
        """The settings a `pulse` command of this env reads (parsed as from its env)."""
        with ENVIRON:
            saved = dict(os.environ)
            try:
                os.environ.update(self.env)
                return Settings()
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    def cli(self, *args: str, timeout: float = 180, check: bool = True,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([PULSE, *args], env={**environ(), **self.env}, text=True,
                              capture_output=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"pulse {' '.join(args)} exited {proc.returncode}\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A background `pulse` command; its output goes to a log file (``proc.log``), as
        a pipe nobody reads would fill up and block the process when it logs a lot."""
        log = self.files / f"{'-'.join(args)}-{time.monotonic_ns()}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([PULSE, *args], env={**environ(), **self.env}, text=True,
                                    stdout=out, stderr=subprocess.STDOUT)
        proc.log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    @property
    def files(self) -> Path:
        """A scratch folder beside PULSE_HOME for the CSV and JSONL files a test writes."""
        path = Path(self.env["PULSE_HOME"]).parent / "files"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stack(self, accounts: str, contacts: str = "", ip_ranges: str = "") -> None:
        """`pulse up`, then load the given CSV texts (accounts, contacts, ip-ranges)."""
        self.cli("up")
        for kind, text in (("accounts", accounts), ("contacts", contacts),
                           ("ip-ranges", ip_ranges)):
            if text:
                (self.files / f"{kind}.csv").write_text(text)
                self.cli(kind, "load", str(self.files / f"{kind}.csv"))

    def publish_events(self, events: list[dict[str, Any]], extra: bytes = b"",
                       check: bool = True) -> subprocess.CompletedProcess[str]:
        """`pulse publish` of the events as JSONL (``extra``: raw lines appended)."""
        path = self.files / "events.jsonl"
        path.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in events) + extra)
        return self.cli("publish", str(path), check=check)

    def start_pipeline(self, *args: str) -> subprocess.Popen[str]:
        """`pulse run` in the background, returned once it serves the warehouse."""
        from services.warehouse import holder_file

        proc = self.start("run", *args)

        def serving() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"pulse run exited {proc.returncode}: "
                                     f"{proc.log.read_text()[-3000:]}")  # type: ignore[attr-defined]
            try:
                return bool(json.loads(holder_file(self.settings).read_text())["pid"] == proc.pid)
            except (OSError, ValueError):
                return False

        wait_for(serving, 90, what="the pipeline to start")
        return proc

    def query(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = json.loads(self.cli("query", sql, "--format", "json").stdout)
        return rows

    @contextlib.contextmanager
    def clickhouse(self) -> Iterator[Any]:
        """The embedded ClickHouse opened directly (only while no pipeline holds it)."""
        import clickhouse_connect

        client = clickhouse_connect.get_client(dsn=self.settings.dsn)
        try:
            yield client
        finally:
            client.close()

    def producer(self) -> Any:
        from kafka import KafkaProducer

        return KafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, acks="all")


@contextlib.contextmanager
def isolated_env(kafka_bootstrap: str, where: Path) -> Iterator[PulseEnv]:
    """A PulseEnv of its own (topics, consumer group, PULSE_HOME under ``where``); its
    background processes are killed at the end."""
    run = uuid.uuid4().hex[:10]
    env = PulseEnv({
        "PULSE_HOME": str(where / "home"),
        "PULSE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PULSE_TOPIC_PREFIX": f"t{run}.",
        "PULSE_APP_ID": f"pulse-{run}",
        "PULSE_BATCH_SECONDS": "0.2",
        "PULSE_REFERENCE_REFRESH_SECONDS": "0.5",
    })
    try:
        yield env
    finally:
        for proc in env.procs:  # a failed test leaves no worker behind
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)


@pytest.fixture
def pulse_env(kafka_bootstrap: str, tmp_path: Path) -> Iterator[PulseEnv]:
    with isolated_env(kafka_bootstrap, tmp_path) as env:
        yield env


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.3,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def accepting_receiver() -> Iterator[Any]:
    """A webhook endpoint that takes every alert at the first attempt."""
    from tests.support.webhooks import Receiver

    r = Receiver()
    yield r
    r.close()
