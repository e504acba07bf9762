"""The surge role's journey-stage evaluation: on a timer, at the pipeline's event-time
watermark, for the accounts of the activity partitions this worker owns (so each account
is evaluated by one worker). Changes land in ``abm.account_stage_changes``; an account
entering MQA raises an alert that is stored and published like a surge's, then delivered
and deduplicated by the delivery role."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from aiokafka.errors import KafkaError
from clickhouse_connect.driver.exceptions import ClickHouseError
from faust.exceptions import ProducerSendError

from streams.config import stage_rules
from streams.retries import retrying
from streams.stages import store
from streams.surge.activity import activity_partition
from streams.surge.agent import SurgeDetection
from streams.surge.store import utc

log = logging.getLogger("pulse.stages")


class StageEvaluation:
    def __init__(self, surge: SurgeDetection, app: Any, activity_topic: str) -> None:
        self.surge = surge
        self.app = app
        self.topic = activity_topic
        self.rules = stage_rules(surge.settings)
        self.last_at = 0.0
        self.lock = asyncio.Lock()  # the timer and a drain's last evaluation, one at a time
        self.evaluations = 0
        self.changes = 0

    def owner(self) -> Callable[[str], bool] | None:
        """Whether this worker owns an account now; None when it owns nothing."""
        mine = {tp.partition for tp in self.app.consumer.assignment()
                if tp.topic == self.topic}
        total = self.surge.settings.input_partitions  # as the pipeline partitions activity
        if not mine:
            return None
        if len(mine) >= total:
            return lambda _: True
        return lambda account_id: activity_partition(account_id, total) in mine

    def _write(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        self.surge.sink.insert(table, rows, columns)

    def _evaluate(self, at: float, owned: Callable[[str], bool]) -> store.Evaluation:
        s = self.surge
        ev = store.evaluate(s.sink.query, self.rules, utc(at), s.infos(), owned)
        s.store.save_alerts(ev.alerts)
        return ev

    async def tick(self) -> None:
        async with self.lock:
            await self._tick()

    async def _tick(self) -> None:
        """One evaluation at the watermark. Alerts are stored and sent before the changes
        land: a crash in between finds the change again, and the stored alert stops a
        second one (``mqa_realert_days``)."""
        s = self.surge
        low = s.sources.low(time.monotonic())
        owned = self.owner()
        if low is None or owned is None:
            return
        at = min(low, time.time())  # a drain's final watermark is "everything": now
        try:
            ev = await retrying(partial(s.blocking, self._evaluate, at, owned), log,
                                "stage evaluation failed; retrying")
            sent = [await s.alerts.send(key=m.account_id.encode(),
                                        value=m.model_dump_json(by_alias=True).encode())
                    for m in ev.alerts]
            for fut in sent:
                await fut
            await retrying(partial(s.blocking, store.save, self._write, ev.changes), log,
                           "saving stage changes failed; retrying")
        except (ValueError, ClickHouseError) as err:  # the data (the world is retried above)
            log.error("stage evaluation failed; the next tick tries again", exc_info=err)
            return
        except (ProducerSendError, KafkaError, OSError) as err:  # the world, sending alerts
            log.warning("sending mqa alerts failed; the next tick tries again",
                        extra={"error": str(err)})
            return
        if ev.baseline and ev.changes:
            log.info("stage rules without history: recorded a baseline, no alerts "
                     "(`pulse stages replay` rebuilds history)",
                     extra={"version": self.rules.version, "changes": len(ev.changes)})
        if sent:
            s.stats.alerts += len(sent)
            log.info("mqa alerts raised", extra={"alerts": len(sent)})
        self.evaluations += 1
        self.changes += len(ev.changes)
        self.last_at = at
