"""``pulse fit score | explain | learn``, ``pulse stages replay``: who to target, in points
a person can read, and which play each account is in."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from services.cli import settings_of
from services.targeting import fit
from streams.settings import Settings

RULES = click.Path(exists=True, dir_okay=False, path_type=Path)


def fit_rules(s: Settings, path: Path | None = None) -> fit.FitRules:
    """The points file: ``path``, else PULSE_FIT_RULES, else infra/targeting/fit.toml."""
    return fit.load(path or (Path(s.fit_rules) if s.fit_rules else None))


def grade_counts(grades: dict[str, int], rules: fit.FitRules) -> str:
    return ", ".join(f"{grades.get(g, 0)} {g}" for g in rules.grades)


@click.group(name="fit")
def fit_group() -> None:
    """Account fit: points per firmographic (fit.toml), 0-100, graded."""


@fit_group.command(name="score")
@click.option("--rules", type=RULES, help="a points file (default PULSE_FIT_RULES)")
@click.pass_context
def score(ctx: click.Context, rules: Path | None) -> int:
    """Score every account by the points file and land the scores (abm.account_fit): after
    the file changes. Every accounts load scores the accounts it loads."""
    from services.targeting.store import score_accounts
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    r = fit_rules(s, rules)
    grades = score_accounts(open_warehouse(s), r)
    print(f"scored {sum(grades.values())} accounts by fit {r.version}: "
          f"{grade_counts(grades, r)}")
    return 0


@fit_group.command(name="explain")
@click.argument("account")
@click.option("--rules", type=RULES, help="a points file (default PULSE_FIT_RULES)")
@click.pass_context
def explain(ctx: click.Context, account: str, rules: Path | None) -> int:
    """Every point an account gets, and why."""
    from services.targeting.store import firmographics, stored_fit
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    r = fit_rules(s, rules)
    wh = open_warehouse(s)
    found = firmographics(wh, [account])
    if not found:
        print(f"pulse fit: no account {account!r}", file=sys.stderr)
        return 1
    f = fit.score(r, found[0])
    print(f"{found[0]['name']} ({account}): fit {f.score}, grade {f.grade} (fit {r.version})")
    for line in fit.explain(r, f) or ["no rule matches: 0 points"]:
        print(f"  {line}")
    landed = stored_fit(wh, account)
    if landed and (landed.score, landed.version) != (f.score, f.version):
        print(f"landed: {landed.score} ({landed.grade}) by fit {landed.version}; run "
              "`pulse fit score` to land this one")
    return 0


@fit_group.command(name="learn")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("fit.learned.toml"), show_default=True,
              help="where to write the learned points file")
@click.option("--seed", type=int, default=0, show_default=True,
              help="the held-out split and the cross-validation folds")
@click.pass_context
def learn(ctx: click.Context, out: Path, seed: int) -> int:
    """Learn points from won versus lost accounts (regularised logistic regression), report
    their quality on held-out accounts, and write them as a points file to review and
    commit (then PULSE_FIT_RULES or infra/targeting/fit.toml). Refuses with fewer than
    PULSE_FIT_MIN_WON won accounts."""
    from infra import query
    from services.targeting import learn as learning
    from services.targeting.store import firmographics
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    wh = open_warehouse(s)
    labels = dict(wh.query_params(query("fit_labels"), {}))
    accounts = [a for a in firmographics(wh, list(labels)) if a["account_id"] in labels]
    now = datetime.now(UTC)
    learned = learning.learn(accounts, [bool(labels[a["account_id"]]) for a in accounts],
                             f"learned-{now:%Y-%m-%d}", s.fit_min_won, seed)
    out.write_text(learning.to_toml(learned, now.date()))
    print(f"learned from {learned.won} won and {learned.lost} lost accounts "
          f"({learned.train} to learn, {learned.test} held out)")
    print(f"held-out AUC {learned.auc:.3f} (the model itself {learned.model_auc:.3f})")
    for g, (n, w) in learned.by_grade.items():
        rate = f"{w / n:.0%}" if n else "-"
        print(f"  grade {g} (from {learned.rules.grades[g]}): {n} accounts, {w} won ({rate})")
    print(f"wrote {len(learned.rules.rules)} rules to {out}: review them, then set "
          "PULSE_FIT_RULES or commit them as infra/targeting/fit.toml")
    return 0


@click.group(name="stages")
def stages_group() -> None:
    """Journey stages: one per account (stages.toml), evaluated live by the surge role."""


@stages_group.command(name="replay")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="first day to rebuild (default: the first event's day)")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="the day after the last (default: tomorrow, so today is in it)")
@click.option("--rules", type=RULES, help="a stage rules file (default PULSE_STAGE_RULES)")
@click.pass_context
def replay(ctx: click.Context, since: datetime | None, until: datetime | None,
           rules: Path | None) -> int:
    """Rebuild the stage history of the current rules version over the stored events, as
    `rescore` does for scores: each day's end sees only its past; no alert is raised. Run
    it after changing stages.toml (bump its version) or the fit points."""
    from services.progress import Steps, progress
    from services.warehouse import open_warehouse
    from streams.config import stage_rules
    from streams.stages import rules as stages
    from streams.stages import store

    s = settings_of(ctx)
    r = stages.load(rules) if rules else stage_rules(s)
    wh = open_warehouse(s)
    now = datetime.now(UTC)
    first = wh.query_params("SELECT min(ts), count() FROM abm.events", {})
    start = (since.date() if since else first[0][0].date() if first and first[0][1]
             else now.date())
    end = until.date() if until else now.date() + timedelta(days=1)
    moments = store.day_ends(start, end, now)
    with progress() as bar:
        steps = Steps(bar)
        steps.start("replaying stages", len(moments))
        found = store.replay(wh.query_params, lambda t, c, rows: wh.insert(t, c, rows),
                             wh.command, r, moments,
                             lambda n: steps.advance("replaying stages", n))
    held = store.current(wh.query_params, r.version, now)
    counts = {st: 0 for st in reversed(stages.STAGES)}
    for st in held.values():
        counts[st] += 1
    accounts = wh.query_params("SELECT count() FROM abm.accounts FINAL", {})[0][0]
    counts["unaware"] += int(accounts) - len(held)
    print(f"replayed stages {r.version} over {len(moments)} days ({start} to {end}): "
          f"{len(found)} changes")
    print("now: " + ", ".join(f"{n} {st}" for st, n in counts.items()))
    return 0


COMMANDS = [fit_group, stages_group]
