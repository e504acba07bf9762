"""Throughput, latency, per-stage cost and memory, measured side by side in one run.
A script, not a test:

    .venv/bin/python tests/bench/pipeline_bench.py [--events 200000] [--workers 1 2]

Starts its own broker (KRaft, free ports, 4 partitions per input topic) in a temporary
PULSE_HOME, loads 100,000 accounts and 1,020,000 IP ranges, publishes N generated events
(`tests.support.synthetic.synthetic_events`: mixed types, bots, free mail, unclaimed addresses,
1% resent duplicates), then measures on the same records:

(a) a plain Kafka consumer reading the input topics (the transport limit);
(b) a Faust agent that only decodes and validates (the framework limit);
(c) the pipeline role alone (`pulse run --role pipeline`) until every event is queryable in
    ClickHouse, with 1 and 2 workers in one consumer group; then the surge role alone
    (`pulse run --role surge --drain`) on the activity the one-worker run left, timed by
    its group's committed offsets;
(d) all roles in one process (`pulse run`), with 1 and 2 workers, as the laptop runs it;
latency from publish to queryable at fixed rates: all roles in one worker (``latency``), and
the deployment's shape, the pipeline role in one process beside surge detection and delivery
in another (``latency_split``); per-stage cost in
one process; peak memory per process; where the GIL-holding samples fall (py-spy), for the
pipeline role and for all roles. Prints a table and writes JSON (``--out``): ``full`` holds
the all-roles runs (as before the roles existed), ``pipeline_role`` and ``surge_role`` the
roles alone.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402

from services.publisher import route  # noqa: E402
from services.runtime.local_kafka import LocalKafka, free_port  # noqa: E402
from services.warehouse.holder import HolderWarehouse, running_holder  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import INPUT_TOPICS  # noqa: E402
from tests.support.synthetic import Reference, synthetic_events, synthetic_reference  # noqa: E402

PULSE = str(Path(sys.executable).parent / "pulse")
HERE = Path(__file__).resolve().parent


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a live process (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, root: Path, bootstrap: str) -> None:
        self.root, self.bootstrap = root, bootstrap

    def env(self, name: str) -> dict[str, str]:
        return {**os.environ, "PULSE_HOME": str(self.root / name),
                "PULSE_KAFKA_BOOTSTRAP": self.bootstrap, "PULSE_INPUT_PARTITIONS": "4",
                "PULSE_APP_ID": f"bench-{name}"}

    def settings(self, name: str) -> Settings:
        return Settings(home=self.root / name, kafka_bootstrap=self.bootstrap,
                        app_id=f"bench-{name}", input_partitions=4)

    def pulse(self, name: str, *args: str) -> str:
        return subprocess.run([PULSE, *args], env=self.env(name), text=True,
                              capture_output=True, check=True).stdout.strip()

    def start_workers(self, name: str, n: int, *flags: str) -> list[subprocess.Popen[bytes]]:
        """``n`` workers of one group (``pulse run`` with ``flags``), returned once the first
        serves the warehouse."""
        self.pulse(name, "up")
        cmd = [PULSE, "run", *flags]
        procs = [subprocess.Popen(cmd, env=self.env(name),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        deadline = time.monotonic() + 300
        while running_holder(self.settings(name)) is None:
            if time.monotonic() > deadline or procs[0].poll() is not None:
                raise RuntimeError(f"pulse run ({name}) did not start")
            time.sleep(0.2)
        for _ in range(n - 1):
            procs.append(subprocess.Popen(cmd, env=self.env(name),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return procs

    def query(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        address = running_holder(self.settings(name))
        assert address is not None, f"no pipeline serves {name}"
        return HolderWarehouse(address).query(sql).rows

    def query_stopped(self, name: str, sql: str) -> Any:
        """One value, read from the embedded engine once no worker of ``name`` holds it."""
        import clickhouse_connect

        client = clickhouse_connect.get_client(
            dsn=f"chdb://{self.settings(name).home / 'clickhouse'}")
        try:
            return client.query(sql).result_rows[0][0]
        finally:
            client.close()


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


def load_reference(bench: Bench, ref: Reference) -> dict[str, float]:
    home = bench.root / "ref"
    home.mkdir(parents=True)
    (home / "accounts.csv").write_text("account_id,name,domains,ip_ranges,tier\n" + "".join(
        f'{a.account_id},"{a.name}",{";".join(a.domains)},,{a.tier}\n' for a in ref.accounts))
    (home / "ranges.csv").write_text("cidr,account_id,kind,source\n" + "".join(
        f"{c.cidr},{c.account_id},{c.kind},bench\n" for c in ref.claims))
    bench.pulse("ref", "up")
    t = time.perf_counter()
    bench.pulse("ref", "accounts", "load", str(home / "accounts.csv"))
    accounts_s = time.perf_counter() - t
    t = time.perf_counter()
    bench.pulse("ref", "ip-ranges", "load", str(home / "ranges.csv"))
    return {"accounts_load_s": accounts_s, "ranges_load_s": time.perf_counter() - t}


def plain_consumer(bootstrap: str, total: int) -> dict[str, float]:
    """(a) kafka-python, no group, every input partition from the start."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
    tps = [TopicPartition(t, p) for t in INPUT_TOPICS
           for p in sorted(consumer.partitions_for_topic(t) or ())]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    n, started = 0, time.perf_counter()
    while n < total:
        for records in consumer.poll(timeout_ms=1000, max_records=10_000).values():
            n += len(records)
    secs = time.perf_counter() - started
    consumer.close()
    return {"records": n, "seconds": secs, "per_s": n / secs}


def decode_only(bench: Bench, total: int) -> dict[str, float]:
    """(b) the Faust agent that only decodes (its own process, own consumer group)."""
    out = bench.root / "decode-only.json"
    env = {**bench.env("decode"), "BENCH_TARGET": str(total), "BENCH_OUT": str(out)}
    (bench.root / "decode").mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, str(HERE / "decode_only.py"), "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:
        with contextlib.suppress(OSError):
            peak = max(peak, vm_hwm_mb(proc.pid))
        time.sleep(0.5)
    r = json.loads(out.read_text())
    secs = r["last"] - r["first"]
    return {"records": r["records"], "seconds": secs, "per_s": r["records"] / secs,
            "peak_rss_mb": peak}


# Where a worker's samples fall, by the first matching frame (outermost first).
COMPONENTS = (
    ("process_batch (decode, validate, attribute, keys, score)", "process_batch "),
    ("sink write (dedupe check, insert)", "ClickHouseSink.write "),
    ("surge role (history query, detection, alert store)", "SurgeDetection."),
    ("delivery role", "Delivery."),
    ("pipeline agent, other (activity/dead-letter sends, acks)", "Pipeline."),
    ("Kafka consumer thread (fetch, faust delivery to streams)", "WorkerThread.run "),
    ("warehouse holder (benchmark's polling queries)", "BaseServer.serve_forever "),
)


def spy_on(pid: int, profile: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy sampling ``pid`` 50 times a second, the GIL holder only, until SIGINT."""
    if profile is None:
        return None
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-r", "50",
                             "--gil", "-f", "raw", "-o", str(profile), "--pid", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(path: Path) -> dict[str, float]:
    """Share of the samples per component (py-spy ``--gil``: only the thread holding the
    GIL is sampled, so shares are of the Python time the process's one GIL allows)."""
    shares: dict[str, float] = {}
    busy = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].startswith(("select ", "EpollSelector.select", "_worker ", "wait ")):
            continue  # waiting, not working
        busy += int(count)
        name = next((label for label, marker in COMPONENTS
                     if any(f.startswith(marker) for f in frames)), "other (event loop, faust)")
        shares[name] = shares.get(name, 0) + int(count)
    return {k: round(100 * v / max(1, busy), 1) for k, v in
            sorted(shares.items(), key=lambda kv: -kv[1])}


def full_pipeline(bench: Bench, workers: int, unique: int, total: int,
                  profile: Path | None = None, *flags: str, name: str = "") -> dict[str, Any]:
    """``pulse run [flags]`` x workers until every unique event is queryable. Timed from the
    first batch's processing (``min(ingested_at)``), not from start-up. With ``--drain`` the
    workers are left to finish (their last watermark on the activity topic)."""
    name = name or f"full{workers}"
    procs = bench.start_workers(name, workers, *flags)
    spy = spy_on(procs[0].pid, profile)
    try:
        while True:
            landed = bench.query(name, "SELECT count() FROM abm.events")[0][0]
            if landed >= unique:
                done = time.time()
                break
            time.sleep(0.25)
        first = bench.query(name, "SELECT toUnixTimestamp64Milli(min(ingested_at)) "
                                  "FROM abm.events")[0][0] / 1000
        peaks = [vm_hwm_mb(p.pid) for p in procs]
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        if "--drain" in flags:
            for p in procs:
                p.wait(300)
        elif any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a worker of {name} exited during the run")
    finally:
        stop(procs)
    secs = done - first
    out = {"workers": workers, "records": total, "landed": unique, "seconds": secs,
           "per_s": total / secs, "peak_rss_mb": peaks}
    if profile is not None and profile.exists():
        out["profile_busy_share_pct"] = summarise_profile(profile)
    return out


def surge_role(bench: Bench, name: str, unique: int, profile: Path | None) -> dict[str, Any]:
    """The surge role alone, draining the activity a pipeline-only run left (its touches and
    final watermark). Timed from the group's first committed progress to its last: the
    commit interval (a few seconds) rounds both ends."""
    from streams.topics import ACCOUNT_ACTIVITY

    group = f"bench-{name}-surge"
    topic = ACCOUNT_ACTIVITY
    probe = KafkaConsumer(bootstrap_servers=bench.bootstrap, group_id=group,
                          enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in sorted(probe.partitions_for_topic(topic) or ())]
    ends = probe.end_offsets(tps)
    proc = subprocess.Popen([PULSE, "run", "--role", "surge", "--drain"], env=bench.env(name),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spy = spy_on(proc.pid, profile)
    started = time.time()
    first = last = peak = 0.0
    try:
        while True:
            done = sum(probe.committed(tp) or 0 for tp in tps)
            now = time.time()
            if done and not first:
                first = now
            if done >= sum(ends.values()):
                last = now
                break
            with contextlib.suppress(OSError):
                peak = max(peak, vm_hwm_mb(proc.pid))
            if proc.poll() is not None or now - started > 1800:
                raise RuntimeError("the surge role stopped before reading its activity")
            time.sleep(0.25)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        proc.wait(300)
    finally:
        stop([proc])
        probe.close()
    alerts = Bench.query_stopped(bench, name, "SELECT count() FROM abm.surge_alerts")
    secs = max(last - first, 1e-3)
    out = {"activity_messages": sum(ends.values()), "events": unique, "seconds": secs,
           "events_per_s": unique / secs, "startup_s": first - started, "alerts": alerts,
           "peak_rss_mb": peak}
    if profile is not None and profile.exists():
        out["profile_busy_share_pct"] = summarise_profile(profile)
    return out


def latency(bench: Bench, ref: Reference, rates: list[int], seconds: float,
            rng: random.Random, split: bool = False) -> dict[str, dict[str, float]]:
    """Publish at fixed rates (event time = publish time) into one worker running every
    role, or, ``split``, into the deployment's shape: the pipeline role in one process, and
    surge detection and delivery in another (landing through the first's warehouse)."""
    name = "latency-split" if split else "latency"
    procs = bench.start_workers(name, 1, *(("--role", "pipeline") if split else ()))
    if split:
        procs.append(subprocess.Popen([PULSE, "run", "--role", "surge", "--role", "delivery"],
                                      env=bench.env(name), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    results: dict[str, dict[str, float]] = {}
    try:
        address = running_holder(bench.settings(name))
        assert address is not None
        owner = HolderWarehouse(address)
        producer = KafkaProducer(bootstrap_servers=bench.bootstrap, acks="all", linger_ms=2)
        # Ids of this run's own: a new group reads the topics from the start, and an id an
        # earlier run landed would be skipped as a duplicate, never becoming queryable.
        warm = synthetic_events(ref, 300, rng, time.time(), 3, prefix=f"{name}-warm-")
        # The group joined and the backlog of the earlier runs' records drained.
        paced(owner, producer, [json.dumps(e).encode() for e in warm], 100, wait_s=900)
        for rate in rates:
            events = synthetic_events(ref, int(rate * seconds), rng, time.time() + seconds,
                                      seconds, prefix=f"{name}-{rate}-")
            results[str(rate)] = r = paced(owner, producer,
                                           [json.dumps(e).encode() for e in events], rate)
            print(f"  latency at {rate}/s{' (split)' if split else ''}: p50 {r['p50_s']:.2f}s "
                  f"p99 {r['p99_s']:.2f}s", flush=True)
        producer.close()
    finally:
        stop(procs)
    return results


def paced(owner: Any, producer: KafkaProducer, lines: list[bytes], rate: int,
          wait_s: float = 120.0) -> dict[str, float]:
    """An event is queryable once the highest offset landed from its partition has reached
    it (batches land in offset order per partition). Polled every 50 ms, so figures carry
    up to 50 ms of rounding. Waits up to ``wait_s`` after the last send for all to land."""
    sent: list[tuple[str, int, int, float]] = []
    polls: dict[tuple[str, int], tuple[list[int], list[float]]] = {}
    stop_polling = threading.Event()

    def poll() -> None:
        while not stop_polling.is_set():
            rows = owner.query("SELECT _topic, _partition, max(_offset) FROM abm.events "
                               "GROUP BY _topic, _partition").rows
            now = time.time()
            for topic, part, off in rows:
                offs, times = polls.setdefault((topic, int(part)), ([], []))
                if not offs or off > offs[-1]:
                    offs.append(int(off))
                    times.append(now)
            time.sleep(0.05)

    def landed() -> bool:
        return all(polls.get((t, p)) and polls[(t, p)][0][-1] >= o for t, p, o, _ in sent)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.time()
    for i, line in enumerate(lines):
        due = start + i / rate
        while (delay := due - time.time()) > 0:
            time.sleep(delay)
        topic, key = route(line)
        t_pub = time.time()
        producer.send(topic, key=key, value=line).add_callback(
            lambda md, t=t_pub: sent.append((md.topic, md.partition, md.offset, t)))
    producer.flush()
    achieved = len(lines) / (time.time() - start)
    deadline = time.time() + wait_s
    while time.time() < deadline and not landed():
        time.sleep(0.2)
    stop_polling.set()
    poller.join()
    if not landed():
        raise RuntimeError(f"not everything landed within {wait_s:.0f}s of the last send")
    lat = sorted(polls[(t, p)][1][bisect.bisect_left(polls[(t, p)][0], o)] - t_pub
                 for t, p, o, t_pub in sent)
    return {"events": len(lines), "achieved_per_s": achieved, "p50_s": lat[len(lat) // 2],
            "p95_s": lat[int(len(lat) * 0.95)], "p99_s": lat[int(len(lat) * 0.99)],
            "max_s": lat[-1]}


def stage_costs(ref: Reference, lines: list[bytes], root: Path) -> dict[str, float]:
    """Per-event cost of each stage, in this process, on the same records (µs/event)."""
    import clickhouse_connect

    from schemas.events import EVENT_MODELS
    from services.warehouse import migrate
    from streams.attribution.chain import build_attributor
    from streams.config import free_mail, non_human_filter
    from streams.ingest.batch import RawRecord, process_batch
    from streams.ingest.rows import EVENT_COLUMNS
    from streams.warehouse.events import ClickHouseSink

    settings = Settings(home=root / "stages")
    attributor = build_attributor(ref.accounts, [], free_mail(settings), ref.claims,
                                  non_human_filter(settings))
    gc.collect()
    gc.freeze()
    n = len(lines)
    t = time.perf_counter()
    data = [json.loads(raw.decode()) for raw in lines]
    decode_s = time.perf_counter() - t
    t = time.perf_counter()
    events = [EVENT_MODELS[d["type"]].model_validate(d) for d in data]
    validate_s = time.perf_counter() - t
    attributor.names._memo.clear()  # each timed pass meets the typed names for the first time
    t = time.perf_counter()
    for e in events:
        attributor.attribute(e, None)
    attribute_s = time.perf_counter() - t
    attributor.names._memo.clear()
    topic = {"web_visit": "web_visits", "email_open": "email_opens", "ad_click": "ad_clicks"}
    records = [RawRecord(topic[d["type"]], 0, i, raw) for i, (d, raw) in
               enumerate(zip(data, lines, strict=True))]
    t = time.perf_counter()
    batches = [process_batch(records[i:i + 2000], attributor, b"bench-secret")
               for i in range(0, n, 2000)]
    process_s = time.perf_counter() - t
    (root / "stages").mkdir(parents=True, exist_ok=True)
    client = clickhouse_connect.get_client(dsn=f"chdb://{root / 'stages' / 'clickhouse'}")
    migrate(client)
    client.command("CREATE TABLE abm.events_copy AS abm.events")
    t = time.perf_counter()
    for b in batches:
        client.insert("abm.events_copy", b.events, column_names=list(EVENT_COLUMNS))
    insert_s = time.perf_counter() - t
    sink = ClickHouseSink(client)
    t = time.perf_counter()
    for b in batches:
        sink.write(b)
    sink_s = time.perf_counter() - t
    # Roll-ups are views over abm.events: their cost is paid when queried, not at ingest.
    t = time.perf_counter()
    for view in ("hourly", "daily", "weekly"):
        client.query(f"SELECT account_id, sum(events) FROM abm.account_engagement_{view} "
                     "GROUP BY account_id")
    rollup_s = time.perf_counter() - t
    client.close()
    us = 1e6 / n
    return {
        "decode_json": decode_s * us,
        "validate": validate_s * us,
        "attribute": attribute_s * us,
        "keys_score_row": max(0.0, process_s - decode_s - validate_s - attribute_s) * us,
        "dedupe_check": max(0.0, sink_s - insert_s) * us,
        "insert": insert_s * us,
        "roll_up (3 views, at query time)": rollup_s * us,
        "process_batch_total": process_s * us,
        "sink_write_total": sink_s * us,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--ranges", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rates", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--latency-seconds", type=float, default=20.0)
    ap.add_argument("--out", default=str(HERE / "results" / "pipeline.json"))
    ap.add_argument("--no-profile", action="store_true",
                    help="skip sampling the one-worker run with py-spy")
    args = ap.parse_args()
    rng = random.Random(17)
    root = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    bench = Bench(root, f"127.0.0.1:{free_port()}")
    broker = LocalKafka(Settings(home=root / "broker", kafka_bootstrap=bench.bootstrap))
    broker.start(timeout=120)
    out: dict[str, Any] = {"events": args.events, "accounts": args.accounts}
    try:
        t = time.perf_counter()
        ref = synthetic_reference(args.accounts, args.ranges)
        out["reference"] = {"accounts": len(ref.accounts), "ranges": len(ref.claims),
                            **load_reference(bench, ref),
                            "generate_s": time.perf_counter() - t}
        print(f"reference: {len(ref.accounts):,} accounts, {len(ref.claims):,} ranges "
              f"loaded in {time.perf_counter() - t:.0f}s", flush=True)
        events = synthetic_events(ref, args.events, rng, time.time(), 3 * 3600)
        lines = [json.dumps(e).encode() for e in events]
        lines += rng.sample(lines, args.events // 100)  # resent by the publisher
        path = root / "events.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        t = time.perf_counter()
        bench.pulse("ref", "publish", str(path))
        secs = time.perf_counter() - t
        out["publish"] = {"records": len(lines), "seconds": secs, "per_s": len(lines) / secs}
        print(f"published {len(lines):,} records in {secs:.1f}s", flush=True)

        out["plain_consumer"] = plain_consumer(bench.bootstrap, len(lines))
        print(f"(a) plain consumer: {out['plain_consumer']['per_s']:,.0f}/s", flush=True)
        out["decode_only"] = decode_only(bench, len(lines))
        print(f"(b) decode-only Faust agent: {out['decode_only']['per_s']:,.0f}/s", flush=True)
        out["pipeline_role"], out["full"] = {}, {}
        for w in args.workers:
            spy = None if args.no_profile or w != 1 else root / "pipe1.pyspy"
            flags = ("--role", "pipeline", "--drain") if w == 1 else ("--role", "pipeline")
            out["pipeline_role"][str(w)] = r = full_pipeline(
                bench, w, args.events, len(lines), spy, *flags, name=f"pipe{w}")
            print(f"(c) pipeline role, {w} worker(s): {r['per_s']:,.0f}/s", flush=True)
            if w == 1:
                out["surge_role"] = r = surge_role(
                    bench, "pipe1", args.events,
                    None if args.no_profile else root / "surge1.pyspy")
                print(f"(c) surge role, 1 worker: {r['events_per_s']:,.0f} events/s "
                      f"({r['activity_messages']:,} activity messages, {r['alerts']} alerts)",
                      flush=True)
        for w in args.workers:
            spy = None if args.no_profile or w != 1 else root / "full1.pyspy"
            out["full"][str(w)] = r = full_pipeline(bench, w, args.events, len(lines), spy)
            print(f"(d) all roles, {w} worker(s): {r['per_s']:,.0f}/s", flush=True)
        out["latency"] = latency(bench, ref, args.rates, args.latency_seconds, rng)
        out["latency_split"] = latency(bench, ref, args.rates, args.latency_seconds, rng,
                                       split=True)
        out["stages_us"] = stage_costs(ref, lines[:20_000], root)
        out["peak_rss_mb"] = {
            "broker (java)": vm_hwm_mb(broker.pid or 0) if broker.pid else 0.0,
            "benchmark (this process, incl. stage run)":
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        broker.stop()
    report(out)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {args.out}")


def report(out: dict[str, Any]) -> None:
    a, b = out["plain_consumer"]["per_s"], out["decode_only"]["per_s"]
    print(f"\n{out['events']:,} events ({out['publish']['records']:,} records), "
          f"{out['reference']['accounts']:,} accounts, {out['reference']['ranges']:,} ranges")
    print(f"{'measure':<44}{'records/s':>12}{'peak RSS MB':>14}")
    print(f"{'publish (pulse publish)':<44}{out['publish']['per_s']:>12,.0f}")
    print(f"{'(a) plain Kafka consumer':<44}{a:>12,.0f}")
    print(f"{'(b) Faust agent, decode only':<44}{b:>12,.0f}"
          f"{out['decode_only']['peak_rss_mb']:>14,.0f}")
    runs = [(f"(c) pipeline role, {w} worker(s)", c) for w, c in out["pipeline_role"].items()]
    runs += [(f"(d) all roles, {w} worker(s)", c) for w, c in out["full"].items()]
    for label, c in runs:
        rss = "/".join(f"{m:.0f}" for m in c["peak_rss_mb"])
        print(f"{label:<44}{c['per_s']:>12,.0f}{rss:>14}")
        print(f"{'    ratio c/a, c/b':<44}{c['per_s'] / a:>12.2f}{c['per_s'] / b:>14.2f}")
    sr = out.get("surge_role")
    if sr:
        print(f"{'(c) surge role alone, events/s':<44}{sr['events_per_s']:>12,.0f}"
              f"{sr['peak_rss_mb']:>14,.0f}")
    for title, run in (("pipeline role, 1 worker", out["pipeline_role"].get("1", {})),
                       ("surge role alone", sr or {}), ("all roles, 1 worker",
                                                        out["full"].get("1", {}))):
        shares = run.get("profile_busy_share_pct", {})
        if shares:
            print(f"  where the samples holding the GIL fall, {title}:")
        for label, share in shares.items():
            print(f"    {label:<64}{share:>5.1f}%")
    print(f"\n{'publish -> queryable':<20}{'achieved/s':>12}{'p50 s':>8}{'p95 s':>8}"
          f"{'p99 s':>8}{'max s':>8}")
    rows = [(f"at {rate}/s", r) for rate, r in out["latency"].items()]
    rows += [(f"at {rate}/s, split", r) for rate, r in out.get("latency_split", {}).items()]
    for label, r in rows:
        print(f"{label:<20}{r['achieved_per_s']:>12,.0f}{r['p50_s']:>8.2f}"
              f"{r['p95_s']:>8.2f}{r['p99_s']:>8.2f}{r['max_s']:>8.2f}")
    print(f"\n{'stage (one process, 20,000 records)':<44}{'µs/event':>12}")
    for stage, us in out["stages_us"].items():
        print(f"{stage:<44}{us:>12.1f}")
    for proc, mb in out["peak_rss_mb"].items():
        print(f"peak RSS {proc}: {mb:,.0f} MB")


if __name__ == "__main__":
    main()
