"""``pulse alerts test``: a sample alert to every destination, delivered for real."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from schemas.alerts import SurgeAlert
from streams.alerts.delivery import Deliverer, Outcome
from streams.settings import Settings


def sample_alert(now: datetime) -> SurgeAlert:
    return SurgeAlert(
        alert_id=f"test-{uuid.uuid4()}", account_id="sample", account_name="Acme (test alert)",
        tier="1", kind="surge", mode="daily", detected_at=now,
        window_start=now - timedelta(hours=24), window_end=now, score=88.0,
        baseline_multiple=4.2, people=6, new_people=3, high_intent=11, recent=84.0,
        expected=20.0, reason="6 people from Acme (test alert), 3 new; 11 pricing/demo page "
        "visits; 4.2x the usual day", top_pages=["/pricing", "/demo"],
        top_campaigns=["q4-launch"], episode_started_at=now)


async def send_test_alerts(settings: Settings) -> list[Outcome]:
    """Every destination gets the sample, whatever its routing (a test of the pipe)."""
    deliverer = Deliverer(settings)
    alert = sample_alert(datetime.now(UTC))
    try:
        return list(await asyncio.gather(*(deliverer.deliver(alert, d)
                                           for d in settings.alert_destinations)))
    finally:
        await deliverer.close()
