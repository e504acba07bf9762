"""Learned IP blocks and identity stitching through the real broker, pipeline and chDB."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon
from tests.support.events import web_visit

pytestmark = pytest.mark.integration

# Every "minutes ago" below stays on one day, whenever the tests run (a run just after
# midnight once split one person's visits over two days of roll-ups).
NOW = yesterday_noon()


def at(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def visit(eid: str, ip: str, minutes_ago: int, **extra: object) -> dict[str, object]:
    return web_visit(eid, ip, ts=at(minutes_ago), path="/product", **extra)


def setup(env: PulseEnv) -> None:
    env.stack(accounts="account_id,name,domains,ip_ranges,tier\n"
                       "acme,Acme,acme.com,,1\nglobex,Globex,globex.com,,2\n",
              contacts="email,account_id\nanna@acme.com,acme\n")


def test_anonymous_visitors_from_a_block_acme_people_use_are_learned(pulse_env: PulseEnv):
    setup(pulse_env)
    # Four identified visits by three Acme people from an unclaimed /24, one from Globex
    # elsewhere: enough evidence for 198.51.100.0/24, none for 192.0.2.0/24.
    pulse_env.publish_events([
        visit("i1", "198.51.100.10", 30, email="anna@acme.com"),
        visit("i2", "198.51.100.11", 20, email="bob@acme.com"),
        visit("i3", "198.51.100.12", 10, email="cy@mail.acme.com"),
        visit("i4", "198.51.100.12", 5, email="cy@mail.acme.com"),
        visit("i5", "192.0.2.50", 5, email="dee@globex.com"),
    ])
    pulse_env.cli("run", "--drain")
    pulse_env.publish_events([
        visit("n1", "198.51.100.200", 1, anonymous_id="v1"),
        visit("n2", "192.0.2.51", 1, anonymous_id="v2"),
    ])
    pulse_env.cli("run", "--drain")
    with pulse_env.clickhouse() as ch:
        rows = {r[0]: r[1:] for r in ch.query(
            "SELECT event_id, account_id, match_method, match_confidence, match_evidence "
            "FROM abm.events FINAL WHERE event_id IN ('n1', 'n2')").result_rows}
    assert rows["n1"][:2] == ("acme", "learned_ip")
    assert rows["n1"][2] == pytest.approx(0.6)
    evidence = json.loads(rows["n1"][3])
    assert evidence["block"] == "198.51.100.0/24" and evidence["people"] == 3
    assert rows["n2"][:2] == ("", "")  # one Globex person is not enough


def test_a_visitor_who_identifies_is_stitched_backwards_and_forwards(pulse_env: PulseEnv):
    setup(pulse_env)
    home = "203.0.113.9"
    pulse_env.publish_events([
        visit("s1", home, 50, anonymous_id="cookie-s"),
        visit("s2", home, 40, anonymous_id="cookie-s"),
        visit("x1", home, 40, anonymous_id="cookie-other"),
    ])
    pulse_env.cli("run", "--drain")
    pulse_env.publish_events([
        visit("s3", home, 30, anonymous_id="cookie-s", email="anna@acme.com"),
        visit("s4", home, 20, anonymous_id="cookie-s"),
    ])
    pulse_env.cli("run", "--drain")
    pulse_env.publish_events([visit("s5", home, 10, anonymous_id="cookie-s")])
    pulse_env.cli("run", "--drain")
    with pulse_env.clickhouse() as ch:
        rows = dict(ch.query("SELECT event_id, (account_id, match_method) FROM abm.events FINAL"
                             ).result_rows)
        daily = ch.query("SELECT sum(events), sum(people) FROM abm.account_engagement_daily "
                         "WHERE account_id = 'acme'").first_row
        counts = ch.query("SELECT count(), uniqExact(event_id) FROM abm.events FINAL").first_row
        links = ch.query("SELECT account_id FROM abm.identities FINAL").result_rows
    assert rows == {"s1": ("acme", "stitched"), "s2": ("acme", "stitched"),
                    "s3": ("acme", "contact"), "s4": ("acme", "stitched"),
                    "s5": ("acme", "stitched"), "x1": ("", "")}
    assert counts == (6, 6)  # re-attribution replaced rows, it did not add events
    assert daily == (5, 1)  # five visits, one person
    assert links == [("acme",)]
    explained = pulse_env.cli("explain", "s1").stdout
    assert "method     stitched" in explained and "visitor_linked_at" in explained
