"""Channel-aware non-human rules, with user agents real mail clients and proxies send.

The mail-client agents are the published test fixtures of matomo-org/device-detector
(Tests/Parser/Client/fixtures/pim.yml) plus Apple Mail's agent as it appears in public
parser tests; the proxies' agents are those Gmail and Yahoo document and send (Gmail's as
it appears in an email provider's open-event payload). None of them was written here.
"""

from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import AdClick, EmailOpen, WebVisit
from streams.ingest.non_human import NonHumanFilter, is_bot

MAIL_CLIENTS = [
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Win64; x64; Trident/7.0; .NET CLR "
    "2.0.50727; SLCC2; .NET CLR 3.5.30729; .NET CLR 3.0.30729; Media Center PC 6.0; .NET4.0C; "
    "InfoPath.3; .NET CLR 1.1.4322; FDM; Tablet PC 2.0; .NET4.0E; Microsoft Outlook 14.0.7113; "
    "ms-office; MSOffice 14)",
    "Microsoft Office/16.0 (Microsoft Outlook 16.0.12329; Pro), Mozilla/4.0 (compatible; "
    "ms-office; MSOffice 16)",
    "Outlook-Express/7.0 (MSIE 7.0; Windows NT 6.1; WOW64; Trident/6.0; SLCC2; .NET CLR "
    "2.0.50727; .NET CLR 3.5.30729; .NET CLR 3.0.30729; Media Center PC 6.0; .NET4.0C; "
    "AskTbORJ/5.15.9.29495; .NET4.0E; TmstmpExt)",
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.2 (Build 20D80))",
    "Outlook-iOS/709.2042344.prod.iphone (3.21.0)",
    "Outlook/16.16.18071205 CFNetwork/902.1 Darwin/17.7.0 (x86_64)",
    "WindowsMail/17.5.9600.22013",
    "Mail/3445.1.3 CFNetwork/887 Darwin/17.0.0 (x86_64)",
    "Mozilla/5.0 (X11; Linux i686; rv:17.0) Gecko/20130330 Thunderbird/17.0.5",
    "Mozilla/5.0 (X11; Linux x86_64; rv:24.0) Gecko/20100101 Thunderbird/24.4.0 Lightning/2.6.4",
    "Mozilla/5.0 (X11; Linux x86_64; rv:24.0) Gecko/20100101 Icedove/24.4.0",
    "Airmail 1.4 rv:238 (Macintosh; Mac OS X 10.9.2; hr_HR)",
    "Airmail 1.3.3 rv:237 (Macintosh; Mac OS X 10.9.2; en_US)",
    "Mozilla/4.0 (compatible; Lotus-Notes/6.0; Windows-NT)",
    "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; en-US; rv:1.9.1.8) Gecko/20100317 "
    "Postbox/1.1.3",
    "The Bat! 4.0.0.22",
    "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Mailspring/1.7.4 Chrome/69.0.3497.128 Electron/4.2.2 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/51.0.2704.103 Safari/537.36 Mailbird/2.4.30.0/",
    "Yahoo%20Mail/49268 CFNetwork/1121.2.2 Darwin/19.3.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/55.0.2883.87 Safari/537.36 eM Client/8.2.1659.0",
    "eMClient/9.3.6041.0",
    "Mozilla/5.0 (Windows NT 6.2; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/101.0.4951.67 Safari/537.36 Foxmail/7.2.25.213",
    "NaverMailApp/2.2.2 (Android 10; SM-G986N)",
]
MAIL_PROXIES = [
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
]
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.32.3",
]
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FILTER = NonHumanFilter(scanner_seconds=10, scanner_ranges=["198.51.100.0/24"])


def open_(ua: str | None, ip: str | None = "203.0.113.7", sent_ago: float | None = None,
          ) -> EmailOpen:
    return EmailOpen(event_id="o", type="email_open", ts=NOW, email="anna@acme.com",
                     campaign_id="c", ip=ip, user_agent=ua,
                     sent_at=None if sent_ago is None else NOW - timedelta(seconds=sent_ago))


@pytest.mark.parametrize("ua", MAIL_CLIENTS + MAIL_PROXIES)
def test_email_opens_from_mail_clients_and_mail_proxies_count(ua: str):
    """Crawler lists match several of these (Outlook, Apple Mail, Airmail, Gmail's and
    Yahoo's proxies): on an email open they are a person reading."""
    assert FILTER.reason(open_(ua), None) == ""
    # The proxy fetches from the provider's network; the open is still the reader's.
    from streams.attribution.ip_ranges import RangeClaim
    hosting = RangeClaim("66.249.84.0/24", "", "hosting", "ip_ranges")
    assert FILTER.reason(open_(ua, ip="66.249.84.222"), hosting) == ""


def test_crawler_lists_do_flag_mail_clients_which_is_why_email_is_decided_apart():
    flagged = [ua for ua in MAIL_CLIENTS + MAIL_PROXIES if is_bot(ua)]
    assert len(flagged) >= 6  # Outlook desktop, Apple Mail, Airmail, both proxies, ...
    assert any("GoogleImageProxy" in ua for ua in flagged)
    assert any(ua.startswith("Mail/") for ua in flagged)


def test_machine_opens_are_still_machines():
    outlook = MAIL_CLIENTS[1]
    assert FILTER.reason(open_(outlook, sent_ago=2), None) == "email_scanner"  # on delivery
    assert FILTER.reason(open_(outlook, ip="198.51.100.20"), None) == "email_scanner"
    assert FILTER.reason(open_("Mozilla/5.0 (compatible; Barracuda Sentinel)"),
                         None) == "email_scanner"
    assert FILTER.reason(open_("Mozilla/5.0"), None) == "privacy_proxy_open"  # Apple MPP
    assert FILTER.reason(open_(None, ip="17.58.100.1"), None) == "privacy_proxy_open"
    for ua in CRAWLERS:
        assert FILTER.reason(open_(ua), None) == "bot_user_agent"
    from streams.attribution.ip_ranges import RangeClaim
    hosting = RangeClaim("192.0.2.0/24", "", "hosting", "ip_ranges")
    chrome = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")  # a browser in a data centre: a machine
    assert FILTER.reason(open_(chrome, ip="192.0.2.9"), hosting) == "hosting_ip"
    assert FILTER.reason(open_(None, ip=None), None) == ""  # no evidence either way: a person


def test_web_visits_and_ad_clicks_keep_the_crawler_rules():
    visit = WebVisit(event_id="v", type="web_visit", ts=NOW, ip="203.0.113.7",
                     url="https://x/", user_agent=MAIL_PROXIES[0])
    assert FILTER.reason(visit, None) == "bot_user_agent"  # an image proxy on a web page
    click = AdClick(event_id="c", type="ad_click", ts=NOW, ip="203.0.113.7", campaign_id="c",
                    user_agent=CRAWLERS[0])
    assert FILTER.reason(click, None) == "bot_user_agent"
