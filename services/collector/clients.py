"""Who is calling: the client address (X-Forwarded-For only from trusted proxies) and the
write key (Authorization: Bearer)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping

from streams.settings import Network, WriteKey


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The address that made the request. Walking X-Forwarded-For from the right, each hop
    added by a trusted proxy is skipped; the first untrusted one is the client (a client
    can write anything at the left of the header, so that end is never believed)."""
    trusted = list(trusted)

    def believed(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in trusted)

    if not forwarded_for or not believed(peer):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not believed(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: the proxy's view stands
    return hops[0] if hops else peer


def write_key(headers: Mapping[str, str], keys: Iterable[WriteKey]) -> WriteKey | None:
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return find_key(token.strip(), keys)


def find_key(token: str, keys: Iterable[WriteKey]) -> WriteKey | None:
    found = None
    for k in keys:  # every key compared, in constant time each
        if hmac.compare_digest(k.key.get_secret_value().encode(), token.encode()):
            found = k
    return found
