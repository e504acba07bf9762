"""``pulse fit score | explain | learn``, ``pulse stages replay``, ``pulse control assign |
plan``, ``pulse lift``, ``pulse audience export``: who to target, in points a person can
read, which play each account is in, who sees the ads, and what the programme changed
against the accounts it left alone."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from services.cli import settings_of
from services.cli.analysis import formatter
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


@click.group(name="control")
def control_group() -> None:
    """A randomised control group: target accounts the programme leaves alone."""


@control_group.command(name="assign")
@click.option("--share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True, help="the share of each stratum held out")
@click.option("--seed", type=int, required=True, help="the random seed (record it: the same "
              "accounts and seed give the same groups)")
@click.option("--stratify", default="", help="','-separated: tier, grade, country, industry")
@click.option("--reassign", is_flag=True, help="replace the assignment in force (recorded)")
@click.option("--by", "by", default="", help="who assigns (default: the login name)")
@click.option("--reason", default="", help="why, kept with the assignment")
@click.pass_context
def assign(ctx: click.Context, share: float, seed: int, stratify: str, reassign: bool,
           by: str, reason: str) -> int:
    """Hold out a stratified random share of the target accounts (customers excluded) as
    control: they are left out of audiences, and their alerts are recorded but not
    delivered. The assignment is frozen on the control_assignments topic and in
    abm.control_assignments, with who and when."""
    import getpass

    from services.cli.reference import reference_writer
    from services.targeting import experiment

    s = settings_of(ctx)
    keys = [k.strip() for k in stratify.split(",") if k.strip()]
    with reference_writer(s) as (wh, publisher):
        made, placed = experiment.assign(
            wh, lambda rows: publisher.send("control_assignments", rows), share, seed, keys,
            by or getpass.getuser(), reassign, reason)
    strata: dict[str, list[int]] = {}
    for p in placed.values():
        counts = strata.setdefault(p.stratum or "all", [0, 0])
        counts[p.arm == "treatment"] += 1
    print(f"assigned {made.control} of {made.control + made.treatment} target accounts to "
          f"control (share {share:g}, seed {seed}, assignment {made.assignment_id})")
    for stratum, (c, n) in sorted(strata.items()):
        print(f"  {stratum}: {c} control, {n} treatment")
    return 0


@control_group.command(name="plan")
@click.option("--accounts", type=click.IntRange(2), required=True,
              help="target accounts in the experiment")
@click.option("--baseline-rate", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              required=True, help="the share of control accounts expected to open an "
              "opportunity in the horizon, e.g. 0.05")
@click.option("--share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True)
@click.option("--power", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.8, show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, help="two-sided significance level")
def plan(accounts: int, baseline_rate: float, share: float, power: float, alpha: float) -> int:
    """The smallest lift in opportunity rate the design can detect, before launch."""
    from services.targeting.control import plan as make_plan

    p = make_plan(accounts, baseline_rate, share, alpha, power)
    print(f"{p.treatment} treatment and {p.control} control accounts: with {power:.0%} power "
          f"at a {alpha:g} two-sided level, the smallest detectable change is an opportunity "
          f"rate of {p.baseline_rate:.1%} (control) against {p.detectable_rate:.1%} "
          f"(treatment), a lift of {p.lift:.2f}x")
    if p.detectable_rate >= 1:
        print("no lift this design could produce is detectable: hold out more accounts")
    return 0


@click.command(name="lift")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="start of the window (default: when the control group was assigned)")
@click.option("--horizon-days", type=click.IntRange(1, 730), default=90, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
def lift_command(ctx: click.Context, since: datetime | None, horizon_days: int,
                 fmt: str) -> int:
    """Treatment against control over the window: engaged share, opportunity rate (Wilson
    95% interval), pipeline per account (bootstrap 95% interval), win rate and median days
    to an opportunity, and the lift ratios."""
    import json

    from services.targeting import experiment
    from services.targeting.lift import lift, table
    from services.warehouse import open_warehouse
    from streams.config import stage_rules

    s = settings_of(ctx)
    wh = open_warehouse(s)
    current = experiment.in_force(wh.query_params)
    if current is None:
        raise RuntimeError("no control group yet: `pulse control assign --share 0.1 --seed N`")
    start = since.replace(tzinfo=UTC) if since else current.assigned_at
    end = start + timedelta(days=horizon_days)
    outcomes, currency = experiment.outcomes(wh.query_params, stage_rules(s).version, start,
                                             end)
    r = {**lift(outcomes, current.seed), "since": start.isoformat(),
         "until": end.isoformat(), "currency": currency,
         "assignment": current.assignment_id}
    if fmt == "json":
        print(json.dumps(r, indent=2))
        return 0
    print(f"Lift {start:%Y-%m-%d} to {end:%Y-%m-%d} ({horizon_days} days; control group "
          f"assigned {current.assigned_at:%Y-%m-%d} by {current.assigned_by})")
    print(formatter("table")(*table(r)))
    return 0


@click.group(name="audience")
def audience_group() -> None:
    """Audiences for ad platforms (LinkedIn company lists), control accounts never in them."""


def _list(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


@audience_group.command(name="export")
@click.argument("name")
@click.option("--stage", default="", help="','-separated journey stages, e.g. mqa,engaged "
              "(default: any)")
@click.option("--grade", default="", help="','-separated fit grades, e.g. A,B (default: any)")
@click.option("--surging", is_flag=True, help="only accounts surging now")
@click.option("--format", "fmt", type=click.Choice(["linkedin", "csv"]), default="linkedin",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="the folder to write NAME.csv (NAME-2.csv, ...) into")
@click.option("--force", is_flag=True, help="write an audience under LinkedIn's minimum of "
              "300 companies")
@click.pass_context
def export(ctx: click.Context, name: str, stage: str, grade: str, surging: bool, fmt: str,
           out: Path, force: bool) -> int:
    """Write the accounts of a selection for an ad platform (files of at most 300,000 rows),
    print how many have a website and a LinkedIn page, and what changed since the last
    export of NAME. Accounts in the control group are never exported."""
    import re

    from services.targeting import audiences, store
    from services.warehouse import open_warehouse
    from streams.config import stage_rules
    from streams.stages.rules import STAGES

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name):
        raise ValueError(f"{name!r} is not an audience name: letters, digits, '.', '_', '-'")
    stages, grades = _list(stage), _list(grade)
    unknown = [x for x in stages if x not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage {', '.join(unknown)}: choose from {', '.join(STAGES)}")
    s = settings_of(ctx)
    wh = open_warehouse(s)
    accounts = store.audience_accounts(wh.query_params, stage_rules(s).version, stages, grades,
                                       surging)
    warning = audiences.check_size(len(accounts), force)
    texts = audiences.files(accounts, fmt)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / (f"{name}.csv" if i == 0 else f"{name}-{i + 1}.csv")
             for i in range(len(texts))]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    before = store.previous_members(wh.query_params, name)
    ids = [a["account_id"] for a in accounts]
    filters = f"stage={stage or 'any'} grade={grade or 'any'} surging={int(surging)}"
    store.record_export(wh, name, fmt, filters, ids)
    r = audiences.readiness(accounts)
    print(f"wrote {r.rows} accounts ({fmt}) to {', '.join(str(p) for p in paths)}")
    print(f"ready: {r.with_website} with a website, {r.with_linkedin} with a LinkedIn page URL")
    if warning:
        print(f"warning: {warning}")
    if before is None:
        print(f"first export of {name}")
    else:
        added, removed = audiences.diff(before, set(ids))
        print(f"since the last export of {name}: {len(added)} added, {len(removed)} removed")
        for label, changed in (("added", added), ("removed", removed)):
            if changed:
                shown = ", ".join(changed[:20]) + (" ..." if len(changed) > 20 else "")
                print(f"  {label}: {shown}")
    return 0


COMMANDS = [fit_group, stages_group, control_group, lift_command, audience_group]
