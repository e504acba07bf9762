"""More than one worker on the embedded warehouse.

chDB opens a data directory in one process. The first ``pulse run`` holds it and serves
it (``owner.py``); a second worker in the same consumer group reaches the same engine
through that process, with the subset of the clickhouse-connect client the pipeline uses
(``insert``, ``query``, ``command``). Values travel as tagged JSON so datetimes, bytes and
tuples arrive as they left. If the holder dies, the next call takes the engine over and
this worker serves it from then on. With a ClickHouse server none of this is used: every
worker connects to the server.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from services.warehouse import WarehouseBusy, connect
from streams.settings import Settings

log = logging.getLogger("pulse.shared")


def encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$t" in value:
            return tuple(decode(v) for v in value["$t"])
        return {k: decode(v) for k, v in value.items()}
    return value


def serve(client: Any, lock: threading.RLock, request: dict[str, Any]) -> dict[str, Any]:
    """The holder's side of one call (``OwnerServer`` routes ``/client`` here)."""
    op, args = request["op"], decode(request["args"])
    with lock:
        if op == "insert":
            client.insert(args["table"], args["data"], column_names=args["column_names"],
                          settings=args.get("settings"))
            return {}
        if op == "command":
            client.command(args["sql"], parameters=args.get("parameters"))
            return {}
        if op == "query":
            r = client.query(args["sql"], parameters=args.get("parameters"))
            return {"rows": encode([tuple(row) for row in r.result_rows]),
                    "columns": list(r.column_names)}
    raise ValueError(f"unknown operation {op!r}")


class WarehouseError(RuntimeError):
    """The warehouse refused a statement; the message is ClickHouse's."""


def post_json(url: str, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST to the warehouse holder's loopback port; a refusal raises WarehouseError."""
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            result: dict[str, Any] = json.loads(resp.read())
            return result
    except urllib.error.HTTPError as err:
        raise WarehouseError(json.loads(err.read()).get("error", str(err))) from None


class Result:
    def __init__(self, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.result_rows = rows
        self.column_names = columns

    @property
    def first_row(self) -> tuple[Any, ...]:
        return self.result_rows[0]


class SharedClient:
    """The warehouse as a worker that does not hold chDB sees it: calls go to the holder;
    when no holder answers, this worker opens the engine itself (``on_takeover`` then
    starts serving it)."""

    def __init__(self, settings: Settings, on_takeover: Callable[[Any], None]) -> None:
        self.settings = settings
        self.on_takeover = on_takeover
        self.direct: Any = None
        self._lock = threading.Lock()

    def _owner(self) -> tuple[str, str] | None:
        from services.owner import owner_file

        try:
            info = json.loads(owner_file(self.settings).read_text())
        except (OSError, ValueError):
            return None
        return f"http://127.0.0.1:{info['port']}/client", str(info["token"])

    def _call(self, op: str, **args: Any) -> dict[str, Any]:
        if self.direct is None:
            owner = self._owner()
            if owner is not None:
                try:
                    return self._post(owner, op, args)
                except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                    log.warning("the warehouse holder is unreachable", extra={"error": str(err)})
            self._take_over()
        with self._lock:
            return serve(self.direct, threading.RLock(), {"op": op, "args": encode(args)})

    def _post(self, owner: tuple[str, str], op: str, args: dict[str, Any]) -> dict[str, Any]:
        url, token = owner
        return post_json(url, token, {"op": op, "args": encode(args)})

    def _take_over(self) -> None:
        with self._lock:  # the sink's and the surge agent's threads may both get here
            if self.direct is None:
                self._open()

    def _open(self) -> None:
        try:
            client = connect(self.settings)
        except WarehouseBusy:
            raise ConnectionError("the warehouse holder is starting or busy; retrying") from None
        log.warning("taking over the embedded warehouse")
        self.direct = client
        self.on_takeover(client)

    def insert(self, table: str, data: list[Any], column_names: list[str] | None = None,
               settings: dict[str, Any] | None = None) -> None:
        self._call("insert", table=table, data=[list(r) for r in data],
                   column_names=column_names, settings=settings)

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self._call("command", sql=sql, parameters=parameters)

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> Result:
        r = self._call("query", sql=sql, parameters=parameters)
        return Result([tuple(row) for row in decode(r["rows"])], r["columns"])

    def close(self) -> None:
        if self.direct is not None:
            self.direct.close()
