"""The labelled attribution evaluation set: read it and score the attribution chain.

The set lives in ``tests/data/attribution/``: a generated world and cases
(``services/eval_set.py`` makes them from a fixed seed) and the hand-written ``hard_*``
files beside them (a small world of tricky accounts and ``hard_cases.jsonl``). ``score``
computes precision and recall per method.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.reference import Account, Contact, IpRange
from streams.attribution.chain import Attributor, build_attributor
from streams.attribution.domains import disposable_domains, shipped_free_mail_domains
from streams.attribution.ip_ranges import RangeClaim
from streams.ingest.codecs import decode

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "attribution"


@dataclass
class World:
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    ranges: list[IpRange] = field(default_factory=list)


@dataclass
class Case:
    event: dict[str, Any]
    account_id: str  # expected; "" for no match
    method: str  # expected; "" for no match
    non_human: str = ""
    tag: str = ""

    def line(self) -> str:
        return json.dumps({"tag": self.tag, "expect": {
            "account_id": self.account_id, "method": self.method, "non_human": self.non_human},
            "event": self.event}, ensure_ascii=False)


def read_world(directory: Path = DATA_DIR) -> World:
    from services.reference.loader import (
        ACCOUNT_HEADER,
        CONTACT_HEADER,
        IP_RANGE_HEADER,
        read_csv,
    )

    world = World()
    for prefix in ("", "hard_"):  # generated world, then the hand-written one beside it
        world.accounts += read_csv(directory / f"{prefix}accounts.csv", Account, ACCOUNT_HEADER)
        world.contacts += read_csv(directory / f"{prefix}contacts.csv", Contact, CONTACT_HEADER)
        world.ranges += read_csv(directory / f"{prefix}ip_ranges.csv", IpRange, IP_RANGE_HEADER)
    return world


def attributor_for(world: World) -> Attributor:
    return build_attributor(
        world.accounts, world.contacts, shipped_free_mail_domains() | disposable_domains(),
        [RangeClaim(r.cidr, r.account_id, r.kind, "ip_ranges") for r in world.ranges])


def read_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            e = d["expect"]
            cases.append(Case(d["event"], e["account_id"], e["method"], e.get("non_human", ""),
                              d.get("tag", "")))
    return cases


@dataclass
class Score:
    rows: list[tuple[str, int, int, int, float, float]]  # method, expected, predicted, right
    precision: float
    recall: float
    non_human_precision: float
    non_human_recall: float
    wrong: list[str]


def score(attributor: Attributor, cases: Iterable[Case]) -> Score:
    expected, predicted, right = Counter[str](), Counter[str](), Counter[str]()
    nh_expected = nh_predicted = nh_right = 0
    wrong = []
    for case in cases:
        got = attributor.attribute(decode(json.dumps(case.event).encode()))
        if case.account_id:
            expected[case.method] += 1
        if got.account_id:
            predicted[got.method] += 1
        ok = got.account_id == case.account_id
        if ok and got.account_id:
            right[got.method] += 1
        nh_expected += bool(case.non_human)
        nh_predicted += bool(got.non_human)
        nh_right += bool(case.non_human) and got.non_human == case.non_human
        if not ok or got.non_human != case.non_human:
            wrong.append(f"{case.event['event_id']} [{case.tag}]: expected "
                         f"{case.account_id or '-'}/{case.method or '-'}"
                         f"{'/' + case.non_human if case.non_human else ''}, got "
                         f"{got.account_id or '-'}/{got.method or '-'}"
                         f"{'/' + got.non_human if got.non_human else ''}")
    rows = []
    for method in sorted(expected.keys() | predicted.keys()):
        p = right[method] / predicted[method] if predicted[method] else 1.0
        r = right[method] / expected[method] if expected[method] else 1.0
        rows.append((method, expected[method], predicted[method], right[method], p, r))
    total_right = sum(right.values())
    return Score(rows,
                 total_right / max(1, sum(predicted.values())),
                 total_right / max(1, sum(expected.values())),
                 nh_right / max(1, nh_predicted), nh_right / max(1, nh_expected), wrong)


