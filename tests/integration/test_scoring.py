"""Scores by type, page class, tier and persona at ingest; `pulse rescore` after a rules
change re-scores history deterministically, without double counting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.ingest.scoring import DEFAULT_RULES
from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon
from tests.support.events import web_visit

pytestmark = pytest.mark.integration
TS = yesterday_noon().isoformat()


def visit(eid: str, path: str, **extra: object) -> dict[str, object]:
    return web_visit(eid, ts=TS, path=path, **{"ip": "198.51.100.9", **extra})


def test_scores_at_ingest_and_after_rescore(pulse_env: PulseEnv, tmp_path):
    pulse_env.stack(accounts="account_id,name,domains,ip_ranges,tier\n"
                             "acme,Acme,acme.com,198.51.100.0/24,1\n",
                    contacts="email,account_id,title\n"
                             "cfo@acme.com,acme,Chief Financial Officer\n")
    events = [visit("v1", "/pricing"), visit("v2", "/blog/x"), visit("v3", "/careers"),
              visit("v4", "/pricing", email="cfo@acme.com"),
              {"event_id": "o1", "type": "email_open", "ts": TS, "email": "cfo@acme.com",
               "campaign_id": "q4"}]
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain")

    def scores() -> dict[str, tuple[object, ...]]:
        with pulse_env.clickhouse() as ch:
            return {r[0]: r[1:] for r in ch.query(
                "SELECT event_id, url_class, persona, score, rules_version "
                "FROM abm.events FINAL").result_rows}

    version = DEFAULT_RULES.read_text().split('version = "', 1)[1].split('"', 1)[0]
    tier1 = 1.5
    assert scores() == {
        "v1": ("pricing", "", 5 * tier1, version),
        "v2": ("blog", "", 0.5 * tier1, version),
        "v3": ("careers", "", 0.3, version),
        "v4": ("pricing", "economic_buyer", 5 * tier1 * 2, version),
        "o1": ("", "economic_buyer", 0.5 * tier1 * 2, version),
    }
    # Rescoring under unchanged rules changes no score.
    assert "re-scored 5 event(s)" in pulse_env.cli("rescore").stdout
    assert {k: v[2] for k, v in scores().items()} == {"v1": 7.5, "v2": 0.75, "v3": 0.3,
                                                      "v4": 15.0, "o1": 1.5}
    changed = tmp_path / "rules.toml"
    changed.write_text(DEFAULT_RULES.read_text()
                       .replace(f'version = "{version}"', 'version = "test-2"')
                       .replace("half_life_days = 14.0", "half_life_days = 7.0")
                       .replace('name = "pricing"\nprefixes = ["/pricing", "/plans", "/quote"]'
                                '\nweight = 5.0',
                                'name = "pricing"\nprefixes = ["/pricing", "/plans", "/quote"]'
                                '\nweight = 8.0')
                       .replace('"1" = 1.5', '"1" = 2.0'))
    out = pulse_env.cli("rescore", "--rules", str(changed)).stdout
    assert "re-scored 5 event(s) under rules test-2" in out
    after = scores()
    assert {k: (v[2], v[3]) for k, v in after.items()} == {
        "v1": (16.0, "test-2"), "v2": (1.0, "test-2"), "v3": (0.4, "test-2"),
        "v4": (32.0, "test-2"), "o1": (2.0, "test-2")}
    with pulse_env.clickhouse() as ch:
        assert ch.query("SELECT count(), uniqExact(event_id) FROM abm.events FINAL"
                        ).first_row == (5, 5)
        daily = ch.query("SELECT sum(score) FROM abm.account_engagement_daily").first_row[0]
        assert daily == pytest.approx(16 + 1 + 0.4 + 32 + 2)
        people = ch.query("SELECT people, people_by_persona FROM abm.account_people").first_row
        assert people == (2, {"economic_buyer": 1})  # an anonymous visitor and the CFO
        decayed = ch.query("SELECT decayed_score FROM abm.account_scores").first_row[0]
        age_days = (datetime.now(UTC) - datetime.fromisoformat(TS)).total_seconds() / 86400
        assert decayed == pytest.approx(51.4 * 2 ** (-age_days / 7), abs=0.01)  # 7-day half-life
