"""Machine traffic: kept for audit with a reason, never counted as engagement.

Decided per channel, because the evidence means different things:

- Web visits and ad clicks: crawler / bot user agents (crawlerdetect's maintained
  patterns), then hosting-provider networks (ip-ranges of kind ``hosting``).
- Email opens: a mail client or a mail provider's image proxy is how a person reads an
  email (Outlook desktop, Apple Mail, Thunderbird, Gmail's ``GoogleImageProxy``,
  ``YahooMailProxy``), although crawler lists, written for web pages, match many of them.
  An open counts unless the evidence says machine: a security scanner (an open within
  seconds of delivery, a known scanner agent, a scanner network), privacy pre-fetch (Apple
  Mail Privacy Protection's networks or its bare ``Mozilla/5.0`` agent), or a crawler agent
  that is not a mail client. The provider's own verdict (``machine``, from its webhook)
  comes first: ``apple`` is privacy pre-fetch, any other is a scanner, except ``gmail`` on
  an open, which is Gmail's image proxy fetching for a person reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from crawlerdetect import CrawlerDetect

from schemas.events import EmailClick, EmailOpen, Event
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim, RangeMatch

_DETECTOR = CrawlerDetect()
# Apple's network; MPP fetches images from it with a bare "Mozilla/5.0" user agent.
DEFAULT_PRIVACY_PROXY_RANGES = ("17.0.0.0/8",)
PRIVACY_PROXY_USER_AGENTS = frozenset({"Mozilla/5.0"})

# Mail clients and mail providers' image proxies, as they name themselves (tests hold real
# agents of each). Matched only on email events.
_MAIL_CLIENT = re.compile(
    r"Microsoft Outlook|MSOffice|ms-office|MacOutlook/|Outlook-(?:iOS|Android|Express)/"
    r"|^Outlook/\d|WindowsMail/|Windows Live Mail|Thunderbird/|Icedove/|Postbox|^Airmail "
    r"|eM ?Client|Mailbird/|Mailspring/|BlueMail/|Foxmail/|^The Bat!|Lotus-Notes/"
    r"|Evolution/|KMail|Claws Mail|Sylpheed|Canary ?Mail|Superhuman|Yahoo%20Mail/|ymail/"
    r"|NaverMailApp/|MailMaster|^Mail/\d[\d.]* CFNetwork/|Darwin/\S+ Mail/\d"
    r"|GoogleImageProxy|YahooMailProxy",
    re.IGNORECASE)


def _scanner_tokens() -> tuple[str, ...]:
    text = resources.files("streams.ingest").joinpath("data/email_scanner_agents.txt").read_text()
    return tuple(line.strip().lower() for line in text.splitlines()
                 if line.strip() and not line.startswith("#"))


_SCANNER_TOKENS = _scanner_tokens()


@lru_cache(maxsize=65536)
def is_bot(user_agent: str) -> bool:
    return bool(_DETECTOR.isCrawler(user_agent))


@lru_cache(maxsize=65536)
def is_mail_client(user_agent: str) -> bool:
    """A mail client or a mail provider's image proxy: a person reading."""
    return _MAIL_CLIENT.search(user_agent) is not None


@lru_cache(maxsize=65536)
def is_scanner_agent(user_agent: str) -> bool:
    lowered = user_agent.lower()
    return any(token in lowered for token in _SCANNER_TOKENS)


class NonHumanFilter:
    def __init__(self, scanner_seconds: float = 10.0,
                 privacy_proxy_ranges: Iterable[str] = DEFAULT_PRIVACY_PROXY_RANGES,
                 scanner_ranges: Iterable[str] = ()) -> None:
        self.scanner_seconds = scanner_seconds
        self.proxy_table = IpRangeTable(RangeClaim(c, "", "privacy_proxy", "settings")
                                        for c in privacy_proxy_ranges)
        self.scanner_table = IpRangeTable(RangeClaim(c, "", "email_scanner", "settings")
                                          for c in scanner_ranges)

    def reason(self, event: Event, ip_match: RangeMatch | None) -> str:
        ua = event.__dict__.get("user_agent") or ""
        if isinstance(event, EmailOpen | EmailClick):
            return self._email(event, ua, ip_match)
        if ua and is_bot(ua):
            return "bot_user_agent"
        if ip_match is not None and ip_match.kind == "hosting":
            return "hosting_ip"
        return ""

    def _email(self, event: EmailOpen | EmailClick, ua: str,
               ip_match: RangeMatch | None) -> str:
        opened = isinstance(event, EmailOpen)
        if event.machine == "apple" and opened:
            return "privacy_proxy_open"
        if event.machine and not (event.machine == "gmail" and opened):
            return "email_scanner"
        if event.sent_at is not None:
            delay = (event.ts - event.sent_at).total_seconds()
            if 0 <= delay < self.scanner_seconds:
                return "email_scanner"
        if (ua and is_scanner_agent(ua)) or _within(self.scanner_table, event.ip):
            return "email_scanner"
        if opened and (ua in PRIVACY_PROXY_USER_AGENTS
                                             or _within(self.proxy_table, event.ip)):
            return "privacy_proxy_open"  # image prefetching; proxies do not follow links
        if ua and is_mail_client(ua):
            return ""  # a person reading, whatever crawler lists say (and from any network)
        if ua and is_bot(ua):
            return "bot_user_agent"
        if ip_match is not None and ip_match.kind == "hosting":
            return "hosting_ip"
        return ""


def _within(table: IpRangeTable, ip: str | None) -> bool:
    return bool(ip) and len(table) > 0 and table.lookup(ip) is not None  # type: ignore[arg-type]
