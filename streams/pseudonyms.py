"""Pseudonyms: what is stored instead of personal data.

People, browsers and email local parts become keyed hashes (BLAKE2b MACs with
PULSE_PERSON_KEY_SECRET; a plain hash of an email is reversible by dictionary), and IPs
are truncated once attribution is done. Distinct counts of people stay exact.
"""

from __future__ import annotations

import hashlib
import socket

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
    """What is kept of an IP after attribution: IPv4 /24, IPv6 /48 (personal data)."""
    if not ip:
        return ""
    if ":" not in ip:
        return ip.rsplit(".", 1)[0] + ".0"
    packed = socket.inet_pton(socket.AF_INET6, ip)
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + socket.inet_ntop(socket.AF_INET, packed[12:15] + b"\0")
    return socket.inet_ntop(socket.AF_INET6, packed[:6] + b"\0" * 10)


def visitor_key(event: Event, secret: bytes) -> str:
    """Names the browser / device (anonymous id), "" when the event has none."""
    anonymous_id = event.__dict__.get("anonymous_id")
    return keyed(secret, "a:" + anonymous_id) if anonymous_id else ""
