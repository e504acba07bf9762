"""The labelled evaluation set (tests/data/attribution): every hand-written hard case one
by one, and the published precision / recall floors over all cases."""

from __future__ import annotations

import json

import pytest

from streams.attribution.chain import Attributor
from streams.ingest.codecs import decode
from tests.support.eval_set import write
from tests.support.evaluation import DATA_DIR, attributor_for, read_cases, read_world, score

HARD = read_cases(DATA_DIR / "hard_cases.jsonl")


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return attributor_for(read_world())


@pytest.mark.parametrize("case", HARD, ids=[c.tag for c in HARD])
def test_hard_case(attributor, case):
    got = attributor.attribute(decode(json.dumps(case.event).encode()))
    assert (got.account_id, got.method, got.non_human) == (
        case.account_id, case.method, case.non_human), got.evidence


def test_precision_and_recall_floors(attributor):
    cases = read_cases(DATA_DIR / "generated_cases.jsonl") + HARD
    assert len(cases) >= 5000
    s = score(attributor, cases)
    assert s.precision >= 0.995, s.wrong[:20]
    assert s.recall >= 0.97, s.wrong[:20]
    assert s.non_human_precision >= 0.995 and s.non_human_recall >= 0.97


def test_generated_set_is_what_the_generator_makes(tmp_path):
    write(tmp_path)
    for name in ("accounts.csv", "contacts.csv", "ip_ranges.csv", "generated_cases.jsonl"):
        assert (tmp_path / name).read_text() == (DATA_DIR / name).read_text(), (
            f"{name} is stale: run `.venv/bin/python -m tests.support.eval_set write`")
