"""``pulse demo``: the whole job on embedded defaults, end to end, on a generated sample."""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from infra import query
from services import render
from services.demo.sample import build_sample
from services.publisher import publish
from services.reference.loader import insert_accounts, insert_contacts, insert_ip_ranges
from services.reference.topics import ReferencePublisher
from services.revenue.influence import Weights
from services.revenue.opportunities import load as load_opportunities
from services.revenue.reports import (
    backtest_from_warehouse,
    backtest_sentence,
    day_bounds,
    influence_headline,
    influence_report,
    influence_rows,
)
from services.runtime.local_kafka import LocalKafka, is_local
from services.runtime.topics_admin import ensure_topics
from services.runtime.worker import run as run_worker
from services.targeting import audiences, experiment, store
from services.targeting.fit import load as load_fit
from services.targeting.lift import lift, table
from services.targeting.store import score_accounts
from services.warehouse import DirectWarehouse, migrate, running_holder
from streams.alerts.contacts import CONTACTS_SQL, known_contacts, with_names
from streams.config import scoring_rules, stage_rules
from streams.settings import Settings
from streams.stages import store as stage_store
from streams.stages.rules import STAGES


def matrix_table(rows: list[tuple[Any, ...]]) -> tuple[list[str], list[list[Any]]]:
    """The grade x stage counts as a table: stages top first, a column per grade."""
    counts = {(g or "-", st): n for g, st, n in rows}
    grades = sorted({g for g, _ in counts if g != "-"}) + (
        ["-"] if any(g == "-" for g, _ in counts) else [])
    return (["stage", *[f"fit {g}" if g != "-" else "not scored" for g in grades]],
            [[st, *[counts.get((g, st), 0) for g in grades]] for st in reversed(STAGES)])


class TargetingDemo(NamedTuple):
    control_line: str
    audience_line: str
    lift_table: tuple[list[str], list[list[str]]]
    days: int


def targeting_demo(s: Settings, wh: DirectWarehouse, seed: int, version: str,
                   first_day: date) -> TargetingDemo:
    """A control group (kept if one is in force), an audience export of the MQAs with fit A
    or B (control accounts left out), and the lift over the demo's days."""
    current = experiment.in_force(wh.query_params)
    if current is None:
        publisher = ReferencePublisher(s)
        try:
            current, _ = experiment.assign(
                wh, lambda rows: publisher.send("control_assignments", rows), 0.1, seed,
                ["tier"], "pulse demo", reassign=False)
        finally:
            publisher.close()
    control_line = (f"{current.control} of {current.control + current.treatment} target "
                    f"accounts held out (share {current.share:g}, seed {current.seed}, "
                    f"stratified by {', '.join(current.stratify) or 'nothing'}); their "
                    "alerts are recorded, not delivered")
    accounts = store.audience_accounts(wh.query_params, version, ["mqa"], ["A", "B"], False)
    folder = s.home_dir / "demo" / "audiences"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mqa-fit-ab.csv"
    path.write_text(audiences.files(accounts, "linkedin")[0], encoding="utf-8")
    store.record_export(wh, "mqa-fit-ab", "linkedin", "stage=mqa grade=A,B surging=0",
                        [a["account_id"] for a in accounts])
    ready = audiences.readiness(accounts)
    audience_line = (f"Audience: {ready.rows} MQA accounts with fit A or B, control left out, "
                     f"as LinkedIn's company list ({path}; {ready.with_linkedin} with a "
                     "LinkedIn page; a real list needs at least 300 companies)")
    since = datetime.combine(first_day, datetime.min.time(), UTC)
    now = datetime.now(UTC)
    outcomes, currency = experiment.outcomes(wh.query_params, version, since, now)
    result = {**lift(outcomes, current.seed), "currency": currency}
    return TargetingDemo(control_line, audience_line, table(result), (now - since).days + 1)


def run_demo(s: Settings, days: int, seed: int, serve: bool = False) -> int:
    """Start the stack, load a generated sample, drain it and print what a user wants to see;
    with ``serve``, then keep the web app (and the broker) running until Ctrl-C."""
    t0 = time.monotonic()
    if s.embedded and running_holder(s):
        print("a pipeline is running on this PULSE_HOME; stop it (Ctrl-C) and run the demo again",
              file=sys.stderr)
        return 2
    broker = LocalKafka(s) if is_local(s.kafka_bootstrap) else None
    started = broker.start() if broker else False
    print(f"1/5 stack     kafka on {s.kafka_bootstrap} ({'started' if started else 'running'}), "
          f"warehouse {s.masked()['clickhouse_dsn']}")
    try:
        ensure_topics(s)
        sample = build_sample(days=days, seed=seed)
        wh = DirectWarehouse(s)
        migrate(wh.writer)
        publisher = ReferencePublisher(s)
        insert_accounts(wh, publisher, sample.accounts)
        fit_rules = load_fit(Path(s.fit_rules) if s.fit_rules else None)
        grades = score_accounts(wh, fit_rules)
        insert_contacts(wh, publisher, sample.contacts,
                        s.person_key_secret.get_secret_value().encode())
        insert_ip_ranges(wh, publisher, sample.ip_ranges)
        publisher.close()
        wh.close()
        print(f"2/5 reference {len(sample.accounts)} accounts, {len(sample.contacts)} contacts, "
              f"{len(sample.ip_ranges)} shared ranges (ISP, hosting, VPN)")
        print(f"     fit      {fit_rules.version}: "
              + ", ".join(f"{grades.get(g, 0)} {g}" for g in fit_rules.grades))
        report = publish(s, sample.lines)
        print(f"3/5 publish   {sum(report.published.values())} records over {days} days "
              f"(incl. resent duplicates and broken records)")
        result = run_worker(s, drain=True)
        assert result.graph.pipeline is not None
        st = result.graph.pipeline.stats
        print(f"4/5 pipeline  {st.consumed} records in {result.seconds:.1f}s: {st.landed} landed, "
              f"{st.duplicates} duplicates skipped, {st.dead_lettered} dead-lettered")
        wh = DirectWarehouse(s)
        crm = s.home_dir / "demo" / "opportunities.csv"
        crm.parent.mkdir(parents=True, exist_ok=True)
        crm.write_text(sample.opportunities)
        publisher = ReferencePublisher(s)
        loaded = load_opportunities(wh, publisher, crm)
        publisher.close()
        print(f"     crm      {len(loaded.lines)} opportunities from a Salesforce export "
              f"({crm}): {len(loaded.lines) - loaded.count('unmatched')} matched to accounts, "
              f"{loaded.count('unmatched')} unmatched")
        # The deals arrived after the live evaluation: rebuild the stage history with them.
        stages = stage_rules(s)
        first_day = wh.query_params("SELECT min(ts) FROM abm.events", {})[0][0].date()
        now = datetime.now(UTC)
        changes = stage_store.replay(
            wh.query_params, lambda table, cols, rows: wh.insert(table, cols, rows),
            wh.command, stages, stage_store.day_ends(first_day, now.date() + timedelta(days=1),
                                                     now))
        print(f"     stages   {stages.version}: {len(changes)} changes replayed over the "
              "events, with the deals")
        matrix = wh.query_params(query("web_fit_matrix"), {"stages": stages.version})
        held = targeting_demo(s, wh, seed, stages.version, first_day)
        weights = Weights(s.influence_u_shaped, s.influence_w_shaped, s.influence_half_life_days)
        everything = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
        influenced = influence_report(wh.query_params, "w_shaped", "channel",
                                      s.influence_lookback_days, *everything, weights)
        tested = backtest_from_warehouse(wh.query_params,
                                         *day_bounds(None, None, first_day,
                                                     datetime.now(UTC).date()),
                                         s.backtest_horizon_days)
        top = wh.query(query("top_accounts"))
        match = wh.query(query("match_summary"))
        dead = wh.query("SELECT kind, error, count() AS n FROM abm.dead_letters FINAL "
                        "GROUP BY kind, error ORDER BY n DESC, kind, error")
        alerts = wh.query("SELECT formatDateTime(detected_at, '%F %R') AS detected, "
                          "account_name AS account, kind, score, reason, contact_keys "
                          "FROM abm.surge_alerts FINAL ORDER BY detected_at")
        keys = sorted({k for row in alerts.rows for k in row[-1]})
        people = wh.query_params(CONTACTS_SQL, {"keys": keys}) if keys else []
        rules = scoring_rules(s)
        alert_rows = [[*row[:-2], with_names(row[-2], known_contacts(row[-1], people, rules))]
                      for row in alerts.rows]
        machines = wh.query("SELECT non_human AS reason, count() AS events FROM abm.events FINAL "
                            "WHERE non_human != '' GROUP BY reason ORDER BY events DESC")
        wh.close()
    except BaseException:
        if started and broker is not None:
            broker.stop()
        raise
    if started and broker is not None and not serve:
        broker.stop()
    print("5/5 result\n\nMost engaged accounts")
    print(render.table(top.columns, top.rows))
    print("\nFit x engagement (accounts by journey stage and fit grade; the web app's / page)")
    print(render.table(*matrix_table(matrix)))
    print(f"\nControl group: {held.control_line}")
    print(held.audience_line)
    print(f"\nLift over the demo's {held.days} days, as if the control group had been held "
          "out from the start (pulse lift --since; the /program page)")
    print(render.table(*held.lift_table))
    print("\nSales alerts (surges against each account's own usual level, and MQA entries)")
    print(render.table(alerts.columns[:-1], alert_rows) if alert_rows else "(none)")
    print("\nAttribution by channel (people only)")
    print(render.table(match.columns, match.rows))
    print("\nNot counted: machine traffic (kept for audit)")
    print(render.table(machines.columns, machines.rows))
    print("\nDead letters")
    print(render.table(dead.columns, dead.rows))
    print(f"\nPipeline influence by channel (W-shaped, {s.influence_lookback_days} days before "
          "each opportunity)")
    print(influence_headline(influenced))
    print(render.table(*influence_rows(influenced)))
    print("\n" + backtest_sentence(tested))
    url = f"http://{s.web_host}:{s.web_port}/"
    print(f"\ndone in {time.monotonic() - t0:.1f}s. Explore: .venv/bin/pulse query "
          "\"SELECT * FROM abm.account_engagement_daily ORDER BY score DESC LIMIT 10\"")
    if not serve:
        print(f"Web app: .venv/bin/pulse serve, then open {url} "
              "(or .venv/bin/pulse demo --serve)")
        return 0
    from services.web.server import serve as serve_web

    try:
        return serve_web(s, s.web_host, s.web_port)
    finally:
        if started and broker is not None:
            broker.stop()
