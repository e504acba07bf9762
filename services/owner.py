"""Sharing the embedded warehouse while ``pulse run`` holds it.

chDB lets one process open a data directory. The running pipeline is that process; it
serves the warehouse to other ``pulse`` commands on a loopback port with a per-run token,
written to ``PULSE_HOME/run/owner.json`` (mode 0600). ``open_warehouse`` picks the owner
when one is running and opens the warehouse directly otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from services.render import jsonable
from services.shared_warehouse import post_json, serve
from services.warehouse import ENGINE_LOCK, DirectWarehouse, QueryResult, Warehouse
from streams.settings import Settings

log = logging.getLogger("pulse.owner")


def owner_file(settings: Settings) -> Path:
    return settings.home_dir / "run" / "owner.json"


class OwnerServer:
    """Serves ``query`` and ``insert`` of a :class:`DirectWarehouse` on 127.0.0.1."""

    def __init__(self, warehouse: DirectWarehouse, settings: Settings) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.token = secrets.token_urlsafe(24)
        self._server = ThreadingHTTPServer(("127.0.0.1", settings.owner_port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="pulse-owner")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        path = owner_file(self.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"pid": os.getpid(), "port": self.port, "token": self.token}, fh)
        tmp.replace(path)

    def stop(self) -> None:
        path = owner_file(self.settings)
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                log.debug(format, *args)

            def do_POST(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {owner.token}":
                    return self._reply(403, {"error": "bad token"})
                try:
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                    if self.path == "/query":
                        r = owner.warehouse.query(body["sql"], readonly=body.get("readonly", True))
                        return self._reply(200, {"columns": r.columns, "types": r.types,
                                                 "rows": jsonable(r.rows)})
                    if self.path == "/query_params":
                        rows = owner.warehouse.query_params(body["sql"], body["parameters"])
                        return self._reply(200, {"rows": jsonable(rows)})
                    if self.path == "/command":
                        owner.warehouse.command(body["sql"], body.get("parameters"))
                        return self._reply(200, {})
                    if self.path == "/client":  # a second worker's warehouse calls
                        return self._reply(200, serve(owner.warehouse.writer, ENGINE_LOCK, body))
                    if self.path == "/insert":
                        n = owner.warehouse.insert(body["table"], body["columns"], body["rows"])
                        return self._reply(200, {"inserted": n})
                    return self._reply(404, {"error": f"no such endpoint {self.path}"})
                except Exception as err:
                    return self._reply(400, {"error": str(err)})

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


class OwnerWarehouse:
    """The warehouse as served by the running pipeline."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.token = token

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return post_json(self.url + path, self.token, payload)

    def query(self, sql: str, readonly: bool = True) -> QueryResult:
        r = self._post("/query", {"sql": sql, "readonly": readonly})
        return QueryResult(r["columns"], r["types"], [tuple(row) for row in r["rows"]])

    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        rows = self._post("/query_params", {"sql": sql, "parameters": jsonable(parameters)})
        return [tuple(r) for r in rows["rows"]]

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self._post("/command", {"sql": sql, "parameters": parameters})

    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> int:
        return int(self._post("/insert", {"table": table, "columns": columns,
                                          "rows": jsonable(rows)})["inserted"])

    def close(self) -> None:
        pass


def running_owner(settings: Settings) -> OwnerWarehouse | None:
    try:
        info = json.loads(owner_file(settings).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return OwnerWarehouse(int(info["port"]), str(info["token"]))


def open_warehouse(settings: Settings) -> Warehouse:
    """The running pipeline's warehouse if it holds the embedded engine, else a direct one."""
    if settings.embedded:
        owner = running_owner(settings)
        if owner is not None:
            return owner
    return DirectWarehouse(settings)
