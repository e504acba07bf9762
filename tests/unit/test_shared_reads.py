"""Page reads made at the same moment run once, and a failure is never kept."""

from __future__ import annotations

import threading
import time

import pytest

from services.web.reads import SharedReads


class Warehouse:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.delay_s = delay_s
        self.fail = False
        self._lock = threading.Lock()

    def __call__(self, sql: str, parameters: dict) -> list[dict]:
        with self._lock:
            self.calls.append((sql, parameters))
        time.sleep(self.delay_s)
        if self.fail:
            raise ConnectionError("the warehouse does not answer")
        return [{"n": len(self.calls), "account": parameters.get("accounts", [""])[0]}]


def test_twenty_identical_reads_at_once_run_one_query():
    wh = Warehouse(delay_s=0.2)
    reads = SharedReads(wh, ttl_s=2.0)
    answers: list[list[dict]] = []
    start = threading.Barrier(20)

    def page() -> None:
        start.wait()
        answers.append(reads("SELECT n", {"accounts": ["tark"], "since": 1}))

    threads = [threading.Thread(target=page) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wh.calls) == 1
    assert answers == [[{"n": 1, "account": "tark"}]] * 20


def test_different_parameters_never_share_and_answers_expire():
    now = [100.0]
    wh = Warehouse()
    reads = SharedReads(wh, ttl_s=2.0, clock=lambda: now[0])
    assert reads("SELECT n", {"accounts": ["tark"]})[0]["account"] == "tark"
    assert reads("SELECT n", {"accounts": ["initech"]})[0]["account"] == "initech"
    assert reads("SELECT n", {"accounts": ["tark"]})[0]["n"] == 1  # within 2 s: shared
    now[0] += 2.5
    assert reads("SELECT n", {"accounts": ["tark"]})[0]["n"] == 3  # expired: read again
    assert len(wh.calls) == 3


def test_a_caller_changing_its_rows_does_not_change_the_next_answer():
    reads = SharedReads(Warehouse(), ttl_s=60)
    first = reads("SELECT n", {})
    first[0]["evidence"] = ["added by a page"]
    assert reads("SELECT n", {}) == [{"n": 1, "account": ""}]


def test_a_failed_read_is_raised_and_the_next_one_tries_again():
    wh = Warehouse()
    reads = SharedReads(wh, ttl_s=60)
    wh.fail = True
    with pytest.raises(ConnectionError):
        reads("SELECT n", {})
    wh.fail = False
    assert reads("SELECT n", {}) == [{"n": 2, "account": ""}]


def test_the_cache_stays_bounded():
    now = [0.0]
    wh = Warehouse()
    reads = SharedReads(wh, ttl_s=60, max_entries=8, clock=lambda: now[0])
    for i in range(50):
        reads("SELECT n", {"accounts": [f"a{i}"]})
    assert len(reads._entries) <= 8


def test_a_request_joining_a_failing_read_is_told_so():
    wh = Warehouse(delay_s=0.3)
    wh.fail = True
    reads = SharedReads(wh, ttl_s=60)
    errors: list[BaseException] = []

    def page() -> None:
        try:
            reads("SELECT n", {})
        except (ConnectionError, RuntimeError) as err:
            errors.append(err)

    first = threading.Thread(target=page)
    first.start()
    time.sleep(0.1)  # the second request joins the read in flight
    page()
    first.join()
    assert len(wh.calls) == 1
    assert sorted(type(e).__name__ for e in errors) == ["ConnectionError", "RuntimeError"]
