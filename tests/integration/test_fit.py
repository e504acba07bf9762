"""Account fit through the real commands: an accounts load scores what it loads, `pulse fit
explain` prints every point, `pulse fit score` re-scores after the points file changes,
and `pulse fit learn` refuses below 50 won accounts and otherwise writes a file that
scores the accounts again."""

from __future__ import annotations

import random

import pytest

from services.targeting import fit
from tests.conftest import PulseEnv

pytestmark = pytest.mark.integration

ACCOUNTS = (
    "account_id,name,domains,ip_ranges,tier,industry,employees,annual_revenue,country,"
    "technologies\n"
    'acme,Acme,acme.com,,1,Software,"1,200",120000000,Germany,Salesforce;Jira\n'
    "hooli,Hooli,hooli.com,,2,Retail,40,,FR,\n"
    "bare,Bare,bare.com,,3,,,,,\n")


def test_a_load_scores_the_accounts_and_explain_shows_every_point(pulse_env: PulseEnv):
    pulse_env.stack(accounts=ACCOUNTS)
    with pulse_env.clickhouse() as ch:
        rows = ch.query("SELECT account_id, score, grade, length(points), version "
                        "FROM abm.account_fit FINAL ORDER BY account_id").result_rows
    version = fit.load().version
    # acme: industry 30 + employees 25 + country 20 + Salesforce 15 + revenue 10 = 100;
    # hooli: retail 15 + FR 20, its 40 people under every band.
    assert rows == [("acme", 100, "A", 5, version), ("bare", 0, "D", 0, version),
                    ("hooli", 35, "C", 2, version)]
    out = pulse_env.cli("fit", "explain", "acme").stdout
    assert "Acme (acme): fit 100, grade A" in out
    assert "+25  employees 1,200 in 200 to under 10,000 (mid-market to enterprise)" in out
    assert "+15  uses Salesforce (a stack we integrate with)" in out
    assert "no rule matches: 0 points" in pulse_env.cli("fit", "explain", "bare").stdout
    missing = pulse_env.cli("fit", "explain", "nobody", check=False)
    assert missing.returncode == 1 and "no account 'nobody'" in missing.stderr

    changed = pulse_env.files / "fit.toml"
    changed.write_text('version = "t.2"\nbase = 10\n[grades]\nA = 50\nB = 10\nC = 5\nD = 0\n'
                       '[[rules]]\nattribute = "employees"\nmissing = true\npoints = -10\n'
                       'label = "unknown size"\n')
    explained = pulse_env.cli("fit", "explain", "bare", "--rules", str(changed)).stdout
    assert "fit 0, grade D (fit t.2)" in explained and "-10  no employees" in explained
    assert "landed: 0 (D) by fit" in explained  # the version differs
    out = pulse_env.cli("fit", "score", "--rules", str(changed)).stdout
    assert "scored 3 accounts by fit t.2: 0 A, 2 B, 0 C, 1 D" in out

    broken = pulse_env.files / "broken.toml"
    broken.write_text('version = "x"\n[[rules]]\nattribute = "employees"\npoints = 5\n'
                      'values = ["big"]\n')
    refused = pulse_env.cli("fit", "score", "--rules", str(broken), check=False)
    assert refused.returncode == 1
    assert "employees is a number: give min and/or max" in refused.stderr


def _deals(won: int, lost: int, prefix: str) -> tuple[str, str]:
    rng = random.Random(7)
    accounts = ["account_id,name,domains,ip_ranges,tier,industry,employees,country,"
                "technologies"]
    deals = ["opportunity_id,account_id,name,stage,amount,currency,created_at,close_date,"
             "is_closed,is_won"]
    for i in range(won + lost):
        is_won = i < won
        industry = "Software" if rng.random() < (0.8 if is_won else 0.3) else "Retail"
        tech = "Snowflake" if rng.random() < (0.6 if is_won else 0.2) else "Oracle"
        key, stage = f"{prefix}{i}", "Closed Won" if is_won else "Closed Lost"
        accounts.append(f"{key},Account {key},{key}.example.com,,,{industry},"
                        f"{rng.choice([30, 500, 3000])},US,{tech}")
        deals.append(f"o{key},{key},Deal {i},{stage},1000,USD,2026-01-05,2026-03-01,true,"
                     f"{str(is_won).lower()}")
    return "\n".join(accounts) + "\n", "\n".join(deals) + "\n"


def test_learn_refuses_below_50_won_and_writes_a_reviewable_file(pulse_env: PulseEnv):
    accounts, deals = _deals(won=49, lost=60, prefix="a")
    pulse_env.stack(accounts=accounts)
    (pulse_env.files / "deals.csv").write_text(deals)
    pulse_env.cli("opportunities", "load", str(pulse_env.files / "deals.csv"))
    out = pulse_env.files / "learned.toml"
    refused = pulse_env.cli("fit", "learn", "--out", str(out), check=False)
    assert refused.returncode == 1
    assert "49 won accounts: a learned fit needs at least 50" in refused.stderr
    assert not out.exists()

    accounts, deals = _deals(won=71, lost=100, prefix="b")  # with the first: 120 won
    (pulse_env.files / "accounts.csv").write_text(accounts)
    pulse_env.cli("accounts", "load", str(pulse_env.files / "accounts.csv"))
    (pulse_env.files / "deals.csv").write_text(deals)
    pulse_env.cli("opportunities", "load", str(pulse_env.files / "deals.csv"))
    learned = pulse_env.cli("fit", "learn", "--out", str(out)).stdout
    assert "learned from 120 won and 160 lost accounts (210 to learn, 70 held out)" in learned
    auc = float(learned.split("held-out AUC ")[1].split()[0])
    assert auc > 0.7  # industry and technology carry the signal planted above
    rules = fit.load(out)
    points = {tuple(r.values): r.points for r in rules.rules if r.values}
    assert points[("Software",)] > 0 and points[("Snowflake",)] > 0
    assert "scored 280 accounts by fit learned-" in pulse_env.cli(
        "fit", "score", "--rules", str(out)).stdout
