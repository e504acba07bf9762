"""The collector's speed, measured in one run. A script, not a test:

    .venv/bin/python tests/bench/collector_bench.py [--seconds 20]

Starts its own broker (KRaft, free ports) in a temporary PULSE_HOME and one `pulse collect`
process (one uvicorn worker), on this machine beside the load generator (aiohttp, in this
process), then measures:

(a) the events API: events/s accepted through ``POST /v1/events`` in batches of 100, from
    8 concurrent senders (closed loop: each sends its next batch once answered);
(b) the website tag: single-event ``POST /v1/tag`` beacons offered at fixed rates (open
    loop: a request is due at its time whether or not earlier ones were answered, and its
    latency counts from that time, so a stalled server cannot hide its queue);
(c) publish-to-queryable latency through the collector: single-event requests at 500/s into
    a running pipeline (`pulse run`, all roles, one worker), from the request to the event
    being readable in ClickHouse (polled every 100 ms).

Every answer is checked (200 with the batch accepted; 204 for a beacon); a run with a
failure says so. Prints medians and percentiles; writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import aiohttp  # noqa: E402

from services.runtime.local_kafka import LocalKafka, free_port  # noqa: E402
from services.warehouse.holder import HolderWarehouse, running_holder  # noqa: E402
from streams.settings import Settings  # noqa: E402
from tests.support.synthetic import synthetic_events, synthetic_reference  # noqa: E402

PULSE = str(Path(sys.executable).parent / "pulse")
HERE = Path(__file__).resolve().parent
KEY = "wk_bench_0123456789abcdef"
ORIGIN = "https://www.bench.example"
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/131.0.0.0 Safari/537.36")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] if s else float("nan")


def env_for(root: Path, bootstrap: str, name: str) -> dict[str, str]:
    return {**os.environ, "PULSE_HOME": str(root / name), "PULSE_KAFKA_BOOTSTRAP": bootstrap,
            "PULSE_APP_ID": f"bench-{name}", "PULSE_INPUT_PARTITIONS": "4",
            "PULSE_COLLECT_WRITE_KEYS": json.dumps(
                [{"key": KEY, "source": "bench", "origins": [ORIGIN]}]),
            # the load comes from one address: per-client limits would measure themselves
            "PULSE_COLLECT_RATE_PER_CLIENT": "1000000", "PULSE_COLLECT_RATE_PER_KEY": "1000000"}


def start_collector(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([PULSE, "collect", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            import urllib.request
            if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                return proc, base
        except OSError as err:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pulse collect did not start: {proc.stderr.read()!r}"
                                   if proc.stderr else "pulse collect did not start") from err
            time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def visits(n: int, prefix: str, rng: random.Random) -> list[dict[str, Any]]:
    now = time.time()
    return [{"type": "web_visit", "event_id": f"{prefix}-{i}",
             "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rng.random() * 60)),
             "ip": f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}",
             "url": f"https://www.bench.example/{rng.choice(['pricing', 'demo', 'blog/x'])}",
             "user_agent": UA, "anonymous_id": f"a-{rng.randrange(10**9)}"} for i in range(n)]


async def events_api(base: str, seconds: float, senders: int, rng: random.Random,
                     pid: int) -> dict[str, Any]:
    """(a) closed loop, batches of 100."""
    batches = [json.dumps(visits(100, f"api{b}", rng)).encode() for b in range(400)]
    latencies: list[float] = []
    failures = 0
    accepted = 0
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + 2  # the warm-up

    async def sender(session: aiohttp.ClientSession, k: int) -> None:
        nonlocal failures, accepted
        i = k
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            async with session.post(base + "/v1/events", data=batches[i % len(batches)],
                                    headers=headers) as r:
                body = await r.json()
            latencies.append(time.perf_counter() - t)
            if r.status == 200 and body.get("accepted") == 100:
                accepted += 100
            else:
                failures += 1
            i += senders

    connector = aiohttp.TCPConnector(limit=senders)
    async with aiohttp.ClientSession(connector=connector) as session:
        await sender(session, 0)  # warm: producer connected, code paths loaded
        deadline = time.perf_counter() + seconds
        accepted, failures = 0, 0
        latencies.clear()
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(sender(session, k) for k in range(senders)))
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(pid) - cpu0
    return {"events_per_s": accepted / elapsed, "requests": len(latencies),
            "failures": failures, "batch_p50_ms": pct(latencies, 0.5) * 1000,
            "batch_p99_ms": pct(latencies, 0.99) * 1000,
            "collector_cpu_share": cpu / elapsed}


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: a request at a time, its answer's status."""

    def __init__(self) -> None:
        self.buf = b""
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None:
            return
        head = self.buf[:head_end].lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0
                          else len(head)]) if at >= 0 else 0
        if len(self.buf) >= head_end + 4 + length:
            self.buf = self.buf[head_end + 4 + length:]
            self.waiter.set_result(int(head[9:12]))
            self.waiter = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(0)


class LightClient:
    """A load generator that costs the machine little (aiohttp took 40% of a core at 1,000
    requests/s, competing with what it measured): raw keep-alive connections, requests
    written as bytes, answers read to their status and length."""

    def __init__(self, base: str, connections: int) -> None:
        host_port = base.split("//", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port, self.n = int(port), connections
        self.idle: asyncio.Queue[_Conn] = asyncio.Queue()

    async def __aenter__(self) -> LightClient:
        loop = asyncio.get_running_loop()
        for _ in range(self.n):
            _, conn = await loop.create_connection(_Conn, self.host, self.port)
            self.idle.put_nowait(conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.idle.empty():
            conn = self.idle.get_nowait()
            if conn.transport is not None:
                conn.transport.close()

    def request(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{lines}"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def send(self, raw: bytes) -> int:
        conn = await self.idle.get()
        conn.waiter = asyncio.get_running_loop().create_future()
        assert conn.transport is not None
        conn.transport.write(raw)
        status = await conn.waiter
        self.idle.put_nowait(conn)
        return status


async def open_loop(items: list[Any], rate: int,
                    one: Callable[[float, Any], Coroutine[Any, Any, None]]) -> float:
    """``one(due, item)`` for each item at its due time (``rate`` a second), whether or not
    earlier ones were answered; returns the start (perf_counter)."""
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    for i, item in enumerate(items):
        due = start + i / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, item)))
    await asyncio.gather(*tasks)
    return start


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


async def tag_rate(base: str, rate: int, seconds: float, rng: random.Random,
                   pid: int, broker_pid: int) -> dict[str, Any]:
    """(b) open loop at ``rate`` beacons/s."""
    n = int(rate * seconds)
    headers = {"Origin": ORIGIN, "Content-Type": "text/plain;charset=UTF-8", "User-Agent": UA}
    latencies: list[float] = []
    failures = 0
    async with LightClient(base, 256) as client:
        requests = [client.request("/v1/tag", json.dumps({"key": KEY, "events": [{
            "kind": "page", "id": f"b{rate}-{i:08d}-{rng.randrange(10**8):08d}",
            "url": f"https://www.bench.example/{rng.choice(['pricing', 'demo', 'blog/x'])}",
            "referrer": "https://www.google.com/",
            "anonymous_id": f"a-{rng.randrange(10**9)}"}]}).encode(), headers)
            for i in range(n)]

        async def one(due: float, raw: bytes) -> None:
            nonlocal failures
            status = await client.send(raw)
            latencies.append(time.perf_counter() - due)
            failures += status != 204

        cpu0, own0, broker0 = cpu_seconds(pid), own_cpu(), cpu_seconds(broker_pid)
        start = await open_loop(requests, rate, one)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu0
        own, broker = own_cpu() - own0, cpu_seconds(broker_pid) - broker0
    return {"offered_per_s": rate, "achieved_per_s": n / elapsed, "requests": n,
            "failures": failures, "p50_ms": pct(latencies, 0.5) * 1000,
            "p95_ms": pct(latencies, 0.95) * 1000, "p99_ms": pct(latencies, 0.99) * 1000,
            "max_ms": max(latencies) * 1000, "collector_cpu_share": cpu / elapsed,
            "load_generator_cpu_share": own / elapsed, "broker_cpu_share": broker / elapsed}


def queryable_latency(root: Path, bootstrap: str, base: str, rate: int, seconds: float,
                      rng: random.Random) -> dict[str, Any]:
    """(c) single-event requests at ``rate``/s through the collector into `pulse run`."""
    env = env_for(root, bootstrap, "collect")
    subprocess.run([PULSE, "up"], env=env, check=True, capture_output=True)
    ref = synthetic_reference(500, 5000)
    worker = subprocess.Popen([PULSE, "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    settings = Settings(home=root / "collect", kafka_bootstrap=bootstrap, app_id="bench-collect")
    try:
        deadline = time.monotonic() + 300
        while (address := running_holder(settings)) is None:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pulse run did not start")
            time.sleep(0.2)
        owner = HolderWarehouse(address)
        events = synthetic_events(ref, int(rate * (seconds + 5)), rng, time.time() + seconds,
                                  seconds, prefix="lat-")
        warm, timed = events[: rate * 5], events[rate * 5:]
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        stop_polling = threading.Event()

        def poll() -> None:
            while not stop_polling.is_set():
                rows = owner.query("SELECT event_id FROM abm.events WHERE event_id LIKE 'lat-%' "
                                   "AND ingested_at > now64(3) - INTERVAL 30 SECOND").rows
                now = time.time()
                for (event_id,) in rows:
                    seen.setdefault(event_id, now)
                time.sleep(0.1)

        async def send(batch: list[dict[str, Any]], record: bool) -> int:
            failures = 0
            headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
            async with aiohttp.ClientSession() as session:
                async def one(due: float, event: dict[str, Any]) -> None:
                    nonlocal failures
                    async with session.post(base + "/v1/events", data=json.dumps(event),
                                            headers=headers) as r:
                        failures += r.status != 200
                    if record:
                        sent[str(event["event_id"])] = wall + due

                wall = time.time() - time.perf_counter()  # perf_counter to epoch seconds
                await open_loop(batch, rate, one)
            return failures

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        asyncio.run(send(warm, False))  # until these land: the group has joined, caches warm
        warm_ids = {str(e["event_id"]) for e in warm}
        deadline = time.monotonic() + 300
        while not warm_ids <= seen.keys():
            if time.monotonic() > deadline:
                raise RuntimeError("the warm-up events did not land")
            time.sleep(0.2)
        failures = asyncio.run(send(timed, True))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(e in seen for e in sent):
            time.sleep(0.2)
        stop_polling.set()
        poller.join()
        lat = [seen[e] - sent[e] for e in sent if e in seen]
        return {"rate_per_s": rate, "events": len(sent), "failures": failures,
                "landed": len(lat), "p50_s": pct(lat, 0.5), "p95_s": pct(lat, 0.95),
                "p99_s": pct(lat, 0.99), "max_s": max(lat) if lat else float("nan")}
    finally:
        stop(worker)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--tag-rates", type=int, nargs="+", default=[500, 1000, 1500])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each tag rate")
    ap.add_argument("--latency-rate", type=int, default=500)
    ap.add_argument("--out", default=str(HERE / "results" / "collector.json"))
    args = ap.parse_args()
    rng = random.Random(23)
    root = Path(tempfile.mkdtemp(prefix="pulse-collector-bench-"))
    bootstrap = f"127.0.0.1:{free_port()}"
    broker = LocalKafka(Settings(home=root / "broker", kafka_bootstrap=bootstrap))
    broker.start(timeout=120)
    out: dict[str, Any] = {"seconds": args.seconds, "cpus": os.cpu_count()}
    try:
        env = env_for(root, bootstrap, "api")
        subprocess.run([PULSE, "up"], env=env, check=True, capture_output=True)
        proc, base = start_collector(env)
        try:
            out["events_api"] = r = asyncio.run(
                events_api(base, args.seconds, args.senders, rng, proc.pid))
            print(f"(a) events API, batches of 100: {r['events_per_s']:,.0f} events/s "
                  f"(batch p50 {r['batch_p50_ms']:.0f} ms, p99 {r['batch_p99_ms']:.0f} ms, "
                  f"{r['failures']} failures, collector CPU {r['collector_cpu_share']:.0%})",
                  flush=True)
            out["tag"] = {}
            for rate in args.tag_rates:
                runs = []
                for _ in range(args.repeat):
                    runs.append(r := asyncio.run(
                        tag_rate(base, rate, args.seconds, rng, proc.pid, broker.pid or 0)))
                    print(f"(b) tag at {rate}/s: achieved {r['achieved_per_s']:,.0f}/s, p50 "
                          f"{r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max "
                          f"{r['max_ms']:.0f} ms, {r['failures']} failures; CPU: collector "
                          f"{r['collector_cpu_share']:.0%}, load generator "
                          f"{r['load_generator_cpu_share']:.0%}, broker "
                          f"{r['broker_cpu_share']:.0%}", flush=True)
                out["tag"][str(rate)] = {"runs": runs, **{
                    f"median_{k}": pct([r[k] for r in runs], 0.5)
                    for k in ("p50_ms", "p99_ms", "achieved_per_s", "collector_cpu_share")}}
                m = out["tag"][str(rate)]
                print(f"    median of {args.repeat}: p50 {m['median_p50_ms']:.1f} ms, p99 "
                      f"{m['median_p99_ms']:.1f} ms", flush=True)
        finally:
            stop(proc)
        proc, base = start_collector(env_for(root, bootstrap, "collect"))
        try:
            out["queryable"] = r = queryable_latency(root, bootstrap, base, args.latency_rate,
                                                     args.seconds, rng)
            print(f"(c) publish-to-queryable through the collector at {args.latency_rate}/s: "
                  f"p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, p99 {r['p99_s']:.2f} s "
                  f"({r['landed']}/{r['events']} landed, {r['failures']} failures)", flush=True)
        finally:
            stop(proc)
    finally:
        broker.stop()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
