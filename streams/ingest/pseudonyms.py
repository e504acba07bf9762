"""Pseudonyms: what is stored instead of personal data.

People, browsers and email local parts become keyed hashes (BLAKE2b MACs with
PULSE_PERSON_KEY_SECRET; a plain hash of an email is reversible by dictionary), and IPs
are truncated once attribution is done; URLs lose their user-info, query values and
fragments. Distinct counts of people stay exact.
"""

from __future__ import annotations

import hashlib
import re
import socket
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from schemas.events import Event


def keyed(secret: bytes, raw: str) -> str:
    """Keyed hash (BLAKE2b's keyed mode, a MAC): a plain hash of an email is reversible by
    dictionary. A secret longer than BLAKE2b's 64-byte key is hashed down first."""
    key = secret if len(secret) <= 64 else hashlib.blake2b(secret).digest()
    return hashlib.blake2b(raw.encode(), key=key, digest_size=16).hexdigest()


def person_key(event: Event, secret: bytes) -> str:
    """Names the person behind an event: known email, else visitor id, else IP."""
    fields = event.__dict__
    email, anonymous_id, ip = fields.get("email"), fields.get("anonymous_id"), fields.get("ip")
    if email:
        return keyed(secret, "e:" + email)
    if anonymous_id:
        return keyed(secret, "a:" + anonymous_id)
    return keyed(secret, "i:" + (ip or event.event_id))


def truncate_ip(ip: str) -> str:
    """What is kept of an IP after attribution: IPv4 /24, IPv6 /48 (personal data). A 6to4
    address (2002::/16) carries a whole IPv4 address in bits 16-47, so it keeps /40: the
    same /24 of that IPv4 address."""
    if not ip:
        return ""
    if ":" not in ip:
        return ip.rsplit(".", 1)[0] + ".0"
    packed = socket.inet_pton(socket.AF_INET6, ip)
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + socket.inet_ntop(socket.AF_INET, packed[12:15] + b"\0")
    keep = 5 if packed[:2] == b"\x20\x02" else 6
    return socket.inet_ntop(socket.AF_INET6, packed[:keep] + b"\0" * (16 - keep))


_EMAIL_LIKE = re.compile(r"[^/?#@&=:;\s]+@[^/?#@&=:;\s]+\.[A-Za-z]{2,}")


def strip_url(url: str) -> str:
    """A URL as stored: no user-info, no query values (names kept: ``?email=&utm_source=``),
    no fragment, no address in the path. Query strings and fragments carry emails, names
    and tokens that nobody asked to keep, and `pulse forget` could not find them there."""
    if not url or ("?" not in url and "#" not in url and "@" not in url):
        return url  # the common case, at no cost
    try:
        parts = urlsplit(url)
    except ValueError:
        return _EMAIL_LIKE.sub("***", url.split("?", 1)[0].split("#", 1)[0])
    netloc = parts.netloc.rsplit("@", 1)[-1]
    names = ["***" if "@" in name else name
             for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    query = "&".join(f"{quote(n, safe='*')}=" for n in dict.fromkeys(names))
    return urlunsplit((parts.scheme, netloc, _EMAIL_LIKE.sub("***", parts.path), query, ""))


def visitor_key(event: Event, secret: bytes) -> str:
    """Names the browser / device (anonymous id), "" when the event has none."""
    anonymous_id = event.__dict__.get("anonymous_id")
    return keyed(secret, "a:" + anonymous_id) if anonymous_id else ""
