"""The embedded engine's holder: chDB opens a data directory in one process.

The process that opened it (the first ``pulse run``) serves it on a loopback port with a
per-run token, written to ``PULSE_HOME/run/holder.json`` (mode 0600): other ``pulse``
commands (``HolderWarehouse``) and a second worker (``SharedClient``) make the same calls
through it. One typed protocol: ``Call(op, args)`` in, ``{"result"}`` or ``{"error"}`` out,
every value through the one codec (``wire.py``). If the holder dies, a second worker's next
call takes the engine over and serves it from then on. With a ClickHouse server DSN no
holder exists: every process connects to the server.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from services.warehouse import wire
from services.warehouse.direct import DirectWarehouse, QueryResult, Warehouse
from services.warehouse.engine import ENGINE_LOCK, WarehouseBusy, connect
from streams.settings import Settings

log = logging.getLogger("pulse.holder")
MAX_REQUEST_BYTES = 512 << 20  # a batch insert of large events, base64 in JSON


class WarehouseError(RuntimeError):
    """The warehouse refused a call; the message is ClickHouse's (with its error code)."""


@dataclass(frozen=True)
class Call:
    op: str  # a name in OPS
    args: dict[str, Any]


def _result(r: QueryResult) -> dict[str, Any]:
    return {"columns": r.columns, "types": r.types, "rows": r.rows, "truncated": r.truncated}


def _client_query(wh: DirectWarehouse, sql: str,
                  parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    with ENGINE_LOCK:
        r = wh.writer.query(sql, parameters=parameters)
        return {"rows": [tuple(row) for row in r.result_rows], "columns": list(r.column_names)}


def _client_insert(wh: DirectWarehouse, table: str, data: list[list[Any]],
                   column_names: list[str] | None = None,
                   settings: dict[str, Any] | None = None) -> None:
    with ENGINE_LOCK:
        wh.writer.insert(table, data, column_names=column_names, settings=settings)


def _client_command(wh: DirectWarehouse, sql: str,
                    parameters: dict[str, Any] | None = None) -> None:
    with ENGINE_LOCK:
        wh.writer.command(sql, parameters=parameters)


# The whole protocol: what a call may ask of the holder's warehouse.
OPS: dict[str, Callable[..., Any]] = {
    "ping": lambda wh: "pong",
    "query": lambda wh, sql, readonly=True: _result(wh.query(sql, readonly=readonly)),
    "analyze": lambda wh, sql: _result(wh.analyze(sql)),
    "query_params": lambda wh, sql, parameters: wh.query_params(sql, parameters),
    "read": lambda wh, sql, parameters: _result(wh.read(sql, parameters)),
    "command": lambda wh, sql, parameters=None: wh.command(sql, parameters),
    "insert": lambda wh, table, columns, rows: wh.insert(table, columns, rows),
    "client.query": _client_query,
    "client.insert": _client_insert,
    "client.command": _client_command,
}


def serve_call(warehouse: DirectWarehouse, call: Call) -> Any:
    op = OPS.get(call.op)
    if op is None:
        raise ValueError(f"unknown operation {call.op!r}")
    return op(warehouse, **call.args)


def holder_file(settings: Settings) -> Path:
    return settings.home_dir / "run" / "holder.json"


def process_start(pid: int) -> str | None:
    """When a process started (Linux clock ticks since boot): a PID reused by another
    process has another start time. None where /proc has no answer."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


class HolderServer:
    """Serves ``OPS`` of a :class:`DirectWarehouse` on 127.0.0.1."""

    def __init__(self, warehouse: DirectWarehouse, settings: Settings) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.token = secrets.token_urlsafe(24)
        self._server = ThreadingHTTPServer(("127.0.0.1", settings.owner_port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="pulse-holder")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        path = holder_file(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"pid": os.getpid(), "started": process_start(os.getpid()),
                       "port": self.port, "token": self.token}, fh)
        tmp.replace(path)

    def stop(self) -> None:
        path = holder_file(self.settings)
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        holder = self
        expected = f"Bearer {holder.token}".encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                log.debug(format, *args)

            def do_POST(self) -> None:
                given = (self.headers.get("Authorization") or "").encode()
                if not hmac.compare_digest(given, expected):
                    return self._reply(403, {"error": "bad token"})
                if self.path != "/call":
                    return self._reply(404, {"error": f"no such endpoint {self.path}"})
                try:
                    size = int(self.headers.get("Content-Length") or 0)
                    if size > MAX_REQUEST_BYTES:
                        return self._reply(413, {"error": f"request of {size} bytes refused"})
                    body = wire.loads(self.rfile.read(size))
                    call = Call(str(body["op"]), dict(body["args"]))
                    return self._reply(200, {"result": serve_call(holder.warehouse, call)})
                except ClickHouseError as err:  # the warehouse refused it: its own words
                    return self._reply(400, {"error": str(err)})
                except (ValueError, KeyError, TypeError) as err:  # a call it cannot read
                    return self._reply(400, {"error": f"bad call: {type(err).__name__}: {err}"})
                except Exception as err:  # a failure of ours: named so, traceback logged
                    log.error("warehouse holder call failed", exc_info=err)
                    return self._reply(500, {"error": "the warehouse holder failed: "
                                                      f"{type(err).__name__}: {err}"})

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = wire.dumps(payload)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@dataclass(frozen=True)
class HolderAddress:
    port: int
    token: str

    def call(self, op: str, timeout: float = 300, **args: Any) -> Any:
        """One call; WarehouseError when the holder's warehouse refuses it, URLError (a
        failure about the world) when the holder cannot be reached."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/call", data=wire.dumps({"op": op, "args": args}),
            method="POST", headers={"Authorization": f"Bearer {self.token}",
                                    "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return wire.loads(resp.read())["result"]
        except urllib.error.HTTPError as err:
            try:
                message = wire.loads(err.read()).get("error", str(err))
            except ValueError:
                message = str(err)
            raise WarehouseError(message) from None


def running_holder(settings: Settings) -> HolderAddress | None:
    """The holder of this PULSE_HOME's embedded engine, if its process is alive (the same
    process, not another that reused its PID)."""
    try:
        info = json.loads(holder_file(settings).read_text())
        pid = int(info["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError):
        return None
    if info.get("started") is not None and process_start(pid) != info["started"]:
        return None
    return HolderAddress(int(info["port"]), str(info["token"]))


class HolderWarehouse:
    """The warehouse as served by the running pipeline (the ``Warehouse`` calls)."""

    def __init__(self, address: HolderAddress) -> None:
        self.address = address

    def query(self, sql: str, readonly: bool = True) -> QueryResult:
        return _from(self.address.call("query", sql=sql, readonly=readonly))

    def analyze(self, sql: str) -> QueryResult:
        return _from(self.address.call("analyze", sql=sql))

    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.address.call("query_params", sql=sql,
                                                    parameters=parameters)]

    def read(self, sql: str, parameters: dict[str, Any]) -> QueryResult:
        return _from(self.address.call("read", sql=sql, parameters=parameters))

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self.address.call("command", sql=sql, parameters=parameters)

    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> int:
        return int(self.address.call("insert", table=table, columns=columns, rows=rows))

    def close(self) -> None:
        pass


def _from(r: dict[str, Any]) -> QueryResult:
    return QueryResult(r["columns"], r["types"], [tuple(row) for row in r["rows"]],
                       r["truncated"])


def open_warehouse(settings: Settings) -> Warehouse:
    """The running pipeline's warehouse if it holds the embedded engine, else a direct one."""
    if settings.embedded:
        address = running_holder(settings)
        if address is not None:
            return HolderWarehouse(address)
    return DirectWarehouse(settings)


class Result:
    """What clickhouse-connect's ``query`` returns, as far as the pipeline reads it."""

    def __init__(self, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.result_rows = rows
        self.column_names = columns

    @property
    def first_row(self) -> tuple[Any, ...]:
        return self.result_rows[0]


class SharedClient:
    """The warehouse as a worker that does not hold chDB sees it: the subset of the
    clickhouse-connect client the pipeline uses, each call made through the holder; when
    no holder answers, this worker opens the engine itself (``on_takeover`` then starts
    serving it)."""

    def __init__(self, settings: Settings, on_takeover: Callable[[Client], None]) -> None:
        self.settings = settings
        self.on_takeover = on_takeover
        self.direct: DirectWarehouse | None = None
        self.calls_through_holder = 0  # how many calls the holder served for this worker
        self.inserts_through_holder = 0  # of which inserts: rows this worker landed there
        self._lock = threading.Lock()

    def _call(self, op: str, **args: Any) -> Any:
        if self.direct is None:
            address = running_holder(self.settings)
            if address is not None and address.port:
                try:
                    result = address.call(op, **args)
                    self.calls_through_holder += 1
                    self.inserts_through_holder += op == "client.insert"
                    return result
                except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                    log.warning("the warehouse holder is unreachable", extra={"error": str(err)})
            self._take_over()
        assert self.direct is not None
        return serve_call(self.direct, Call(op, args))

    def _take_over(self) -> None:
        with self._lock:  # the sink's and the surge agent's threads may both get here
            if self.direct is not None:
                return
            try:
                client = connect(self.settings)
            except WarehouseBusy:
                raise ConnectionError("the warehouse holder is starting or busy; "
                                      "retrying") from None
            log.warning("taking over the embedded warehouse")
            self.direct = DirectWarehouse(self.settings, writer=client)
            self.on_takeover(client)

    def insert(self, table: str, data: list[Any], column_names: list[str] | None = None,
               settings: dict[str, Any] | None = None) -> None:
        self._call("client.insert", table=table, data=[list(r) for r in data],
                   column_names=column_names, settings=settings)

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self._call("client.command", sql=sql, parameters=parameters)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> Result:
        r = self._call("client.query", sql=sql, parameters=parameters)
        return Result([tuple(row) for row in r["rows"]], r["columns"])

    def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
