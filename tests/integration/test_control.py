"""The control group through the real commands and roles: a frozen, recorded assignment;
control accounts' alerts recorded but never delivered; control accounts in no audience
export; audience diffs between exports; and `pulse lift` on what landed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, TopicPartition
from scipy.stats import binomtest

from tests.conftest import PulseEnv
from tests.integration.test_alerts import configure, visit
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.integration

N = 20
ACCOUNTS = ("account_id,name,domains,ip_ranges,tier,industry,employees,country,linkedin_url\n"
            + "".join(f"a{i},Account {i},a{i}.com,10.{i}.0.0/16,2,Software,1200,US,"
                      f"{'linkedin.com/company/a' + str(i) if i % 2 else ''}\n"
                      for i in range(N)))
NOW = datetime.now(UTC).replace(microsecond=0)


def arms(env: PulseEnv) -> dict[str, str]:
    return {r["account_id"]: r["arm"] for r in env.query(
        "SELECT account_id, arm FROM abm.control_current")}


def test_control_accounts_are_left_alone_and_lift_compares_the_arms(pulse_env: PulseEnv,
                                                                   accepting_receiver: Receiver):
    receiver = accepting_receiver
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    out = pulse_env.cli("control", "assign", "--share", "0.25", "--seed", "3", "--stratify",
                        "tier,grade", "--by", "ann").stdout
    assert "assigned 5 of 20 target accounts to control (share 0.25, seed 3" in out
    assert "tier=2|grade=A: 5 control, 15 treatment" in out
    first = arms(pulse_env)
    control = sorted(a for a, arm in first.items() if arm == "control")
    assert len(control) == 5
    refused = pulse_env.cli("control", "assign", "--seed", "9", check=False)
    assert refused.returncode == 1
    assert "a control group is in force: 5 accounts, assigned by ann" in refused.stderr
    assert arms(pulse_env) == first  # frozen

    # Every account enters MQA: three people and two pricing visits each.
    group = NOW - timedelta(hours=2)
    pulse_env.publish_events([visit(i, group + timedelta(minutes=j), f"a{i}-g{j}",
                                    "/pricing" if j < 2 else "/product", 100 * i + j)
                              for i in range(N) for j in range(3)])
    pulse_env.cli("run", "--drain")
    alerted = pulse_env.query("SELECT account_id FROM abm.surge_alerts FINAL "
                              "WHERE kind = 'mqa' ORDER BY account_id")
    assert len(alerted) == N  # recorded for every account, control included
    sent = {json.loads(body)["account_id"] for _, body in receiver.requests}
    assert len(sent) == N - 5 and not sent & set(control)
    held = pulse_env.query("SELECT a.account_id AS account_id, d.status AS status, d.error "
                           "AS error FROM abm.alert_deliveries AS d FINAL JOIN "
                           "abm.surge_alerts AS a FINAL USING alert_id "
                           "WHERE d.status = 'control' ORDER BY account_id")
    assert [r["account_id"] for r in held] == control
    assert {r["error"] for r in held} == {"control account: not worked"}
    assert pulse_env.query("SELECT count() AS n FROM abm.failed_deliveries")[0]["n"] == 0

    # Audiences: never a control account; under 300 refused unless forced; diffs.
    files = pulse_env.files / "audiences"
    small = pulse_env.cli("audience", "export", "mqa-a", "--stage", "mqa", "--grade", "A",
                          "--out", str(files), check=False)
    assert small.returncode == 1 and "15 accounts: LinkedIn serves no audience under 300" \
        in small.stderr
    out = pulse_env.cli("audience", "export", "mqa-a", "--stage", "mqa", "--grade", "A",
                        "--out", str(files), "--force").stdout
    assert "wrote 15 accounts (linkedin)" in out and "first export of mqa-a" in out
    rows = list(csv.DictReader(io.StringIO((files / "mqa-a.csv").read_text())))
    names = {r["companyname"] for r in rows}
    assert len(rows) == 15 and not names & {f"Account {a[1:]}" for a in control}
    linkedin = sum(1 for r in rows if r["linkedincompanypageurl"])
    assert f"ready: 15 with a website, {linkedin} with a LinkedIn page URL" in out

    out = pulse_env.cli("control", "assign", "--share", "0.25", "--seed", "4", "--reassign",
                        "--by", "bob", "--reason", "pilot ended").stdout
    assert "assigned 5 of 20" in out
    second = arms(pulse_env)
    moved_in = sorted(a for a in second if second[a] == "control" and first[a] != "control")
    moved_out = sorted(a for a in second if second[a] != "control" and first[a] == "control")
    out = pulse_env.cli("audience", "export", "mqa-a", "--stage", "mqa", "--grade", "A",
                        "--out", str(files), "--force", "--format", "csv").stdout
    assert (f"since the last export of mqa-a: {len(moved_out)} added, {len(moved_in)} "
            "removed") in out
    history = pulse_env.query("SELECT assignment_id, any(assigned_by) AS by, any(reason) AS "
                              "reason, count() AS n FROM abm.control_assignments FINAL "
                              "GROUP BY assignment_id ORDER BY any(assigned_at)")
    assert [(h["by"], h["n"]) for h in history] == [("ann", 20), ("bob", 20)]
    assert history[1]["reason"] == "pilot ended"
    consumer = KafkaConsumer(bootstrap_servers=pulse_env.settings.kafka_bootstrap,
                             isolation_level="read_committed", consumer_timeout_ms=3000)
    tp = TopicPartition(pulse_env.topic("control_assignments"), 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(records) == 40 and records[0]["schema"] == "control_assignment/1-0-0"

    # Deals for three treatment accounts: lift against the (new) control group.
    treated = sorted(a for a, arm in second.items() if arm == "treatment")[:3]
    created = (NOW - timedelta(hours=1)).isoformat()
    (pulse_env.files / "opps.csv").write_text(
        "opportunity_id,account_id,name,stage,amount,currency,created_at,close_date,is_closed,"
        "is_won\n" + "".join(f"o-{a},{a},Deal,Proposal,30000,USD,{created},,false,false\n"
                             for a in treated))
    pulse_env.cli("opportunities", "load", str(pulse_env.files / "opps.csv"))
    since = (NOW - timedelta(days=1)).date().isoformat()
    r = json.loads(pulse_env.cli("lift", "--since", since, "--format", "json").stdout)
    t, c = r["treatment"], r["control"]
    assert (t["accounts"], c["accounts"]) == (15, 5)
    assert (t["opportunity_rate"], c["opportunity_rate"]) == (0.2, 0.0)
    lo, hi = binomtest(3, 15).proportion_ci(method="wilson")
    assert t["opportunity_rate_ci95"] == pytest.approx([lo, hi])
    assert (t["pipeline_per_account"], r["currency"]) == (6000.0, "USD")
    assert t["engaged_share"] == 1.0 and r["lift"]["opportunity_rate"] is None
    table = pulse_env.cli("lift", "--since", since).stdout
    assert "opportunity rate (95%)" in table and "20.0%" in table
