"""Machine traffic: kept for audit with a reason, never counted as engagement.

Checks, cheapest first: crawler / bot user agents (crawlerdetect's maintained patterns),
hosting-provider networks (ip-ranges of kind ``hosting``), email security scanners that
open within seconds of delivery, and privacy proxies that pre-fetch every email (Apple
Mail Privacy Protection) so that an "open" is not a person reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from crawlerdetect import CrawlerDetect

from schemas.events import EmailOpen, Event
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim, RangeMatch

_DETECTOR = CrawlerDetect()
# Apple's network; MPP fetches images from it with a bare "Mozilla/5.0" user agent.
DEFAULT_PRIVACY_PROXY_RANGES = ("17.0.0.0/8",)
PRIVACY_PROXY_USER_AGENTS = frozenset({"Mozilla/5.0"})


@lru_cache(maxsize=65536)
def is_bot(user_agent: str) -> bool:
    return bool(_DETECTOR.isCrawler(user_agent))


class NonHumanFilter:
    def __init__(self, scanner_seconds: float = 10.0,
                 privacy_proxy_ranges: Iterable[str] = DEFAULT_PRIVACY_PROXY_RANGES) -> None:
        self.scanner_seconds = scanner_seconds
        self.proxy_table = IpRangeTable(RangeClaim(c, "", "privacy_proxy", "settings")
                                        for c in privacy_proxy_ranges)

    def reason(self, event: Event, ip_match: RangeMatch | None) -> str:
        ua = event.__dict__.get("user_agent")
        if ua and is_bot(ua):
            return "bot_user_agent"
        if ip_match is not None and ip_match.kind == "hosting":
            return "hosting_ip"
        if isinstance(event, EmailOpen):
            if event.sent_at is not None:
                delay = (event.ts - event.sent_at).total_seconds()
                if 0 <= delay < self.scanner_seconds:
                    return "email_scanner"
            if ua in PRIVACY_PROXY_USER_AGENTS or self._from_proxy(event.ip):
                return "privacy_proxy_open"
        return ""

    def _from_proxy(self, ip: str | None) -> bool:
        return bool(ip) and self.proxy_table.lookup(ip) is not None  # type: ignore[arg-type]
