"""A local webhook endpoint for the alert tests: records every request, and can refuse the
first attempts of each alert id to exercise retries."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A webhook endpoint that answers 500 to the first ``fail_first`` attempts of each id."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    receiver.requests.append((headers, body))
                    seen = sum(1 for h, _ in receiver.requests
                               if h["webhook-id"] == headers["webhook-id"])
                self.send_response(500 if seen <= receiver.fail_first else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sales"

    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(h["webhook-id"] for h, _ in self.requests)

    def close(self) -> None:
        self.server.shutdown()
