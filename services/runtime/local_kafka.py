"""The local single-node Kafka broker (KRaft): fetch jars, format, start, wait, stop.

Jars come from Maven Central through ``infra/kafka/pom.xml``; all state lives under
``PULSE_HOME/kafka``. A broker this module did not start is never touched.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from infra import KAFKA_DIR
from streams.settings import Settings

log = logging.getLogger("pulse.kafka")

LIB_DIR = KAFKA_DIR / "target" / "lib"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_local(bootstrap: str) -> bool:
    return all(server.rsplit(":", 1)[0] in LOCAL_HOSTS for server in bootstrap.split(","))


def port_of(bootstrap: str) -> int:
    return int(bootstrap.split(",")[0].rsplit(":", 1)[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_jars() -> Path:
    """Fetch the broker's jars with Maven unless they are already there."""
    if not any(LIB_DIR.glob("kafka_2.13-*.jar")):
        log.warning("fetching Kafka jars with mvn (first run only)")
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(KAFKA_DIR / "pom.xml"), "dependency:copy-dependencies"],
            check=True,
        )
    return LIB_DIR


def new_cluster_id(random_bytes: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id: 16 random bytes, base64url. One in 64 would start with '-', which
    the storage tool reads as an option; like Kafka's own Uuid.randomUuid, draw again."""
    while True:
        cluster_id = base64.urlsafe_b64encode(random_bytes()).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalKafka:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = port_of(settings.kafka_bootstrap)
        self.dir = settings.home_dir / "kafka"
        self.data_dir = self.dir / "data"
        self.pid_file = self.dir / "broker.pid"

    @property
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def running(self) -> bool:
        return self.pid is not None and port_open(self.port)

    def _write_config(self) -> Path:
        controller_port = free_port()
        template = (KAFKA_DIR / "server.properties").read_text()
        config = self.dir / "server.properties"
        config.write_text(template.format(
            port=self.port, controller_port=controller_port, data_dir=self.data_dir))
        return config

    def _java(self, *args: str) -> list[str]:
        return [
            "java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.dir / 'logs'}",
            "-cp", f"{ensure_jars()}/*", *args,
        ]

    def start(self, timeout: float = 90.0) -> bool:
        """Start the broker unless it runs already; True when this call started it."""
        if self.running():
            return False
        if port_open(self.port):
            # Someone else's broker on this port (another PULSE_HOME, a local install):
            # use it if it speaks Kafka, never start a second one.
            try:
                self.wait_ready(10.0)
            except TimeoutError:
                raise RuntimeError(
                    f"port {self.port} is taken by something that does not answer as Kafka; "
                    "set PULSE_KAFKA_BOOTSTRAP to a free port or stop that process") from None
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            cluster_id = new_cluster_id()
            subprocess.run(
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(config), "--ignore-formatted"),
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        with open(self.dir / "broker.out", "ab") as out:
            proc = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        self.wait_ready(timeout, proc)
        return True

    def wait_ready(self, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(
                    f"Kafka exited with code {proc.returncode}; see {self.dir / 'broker.out'}")
            if port_open(self.port):
                try:
                    admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap,
                                             request_timeout_ms=5000)
                    admin.list_topics()
                    admin.close()
                    return
                except (KafkaError, OSError):  # listening, not yet serving: ask again
                    pass
            time.sleep(0.3)
        raise TimeoutError(f"Kafka not ready on port {self.port} after {timeout:.0f}s")

    def stop(self, timeout: float = 30.0) -> bool:
        pid = self.pid
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            _reap(pid)
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
