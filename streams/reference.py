"""Reference data (accounts, contacts) read from ClickHouse into an :class:`Attributor`."""

from __future__ import annotations

import logging
import threading
from typing import Any

from schemas.reference import Account, Contact
from streams.attribution.chain import Attributor, build_attributor

log = logging.getLogger("pulse.reference")

_VERSION_SQL = (
    "SELECT (SELECT (count(), max(loaded_at)) FROM abm.accounts),"
    " (SELECT (count(), max(loaded_at)) FROM abm.contacts)"
)


class ReferenceData:
    """Holds the current attributor; ``refresh`` swaps in a new one when the data changed."""

    def __init__(self, free_mail: frozenset[str]) -> None:
        self.free_mail = free_mail
        self.version: object = None
        self.attributor: Attributor = build_attributor([], [], free_mail)

    def refresh(self, client: Any, lock: threading.RLock) -> bool:
        with lock:
            version = client.query(_VERSION_SQL).result_rows[0]
            if version == self.version:
                return False
            accounts = client.query(
                "SELECT account_id, name, domains, ip_ranges, tier FROM abm.accounts FINAL"
            ).result_rows
            contacts = client.query("SELECT email, account_id FROM abm.contacts FINAL").result_rows
        attributor = build_attributor(
            (Account.model_construct(account_id=a, name=n, domains=d, ip_ranges=r, tier=t)
             for a, n, d, r, t in accounts),
            (Contact.model_construct(email=e, account_id=a) for e, a in contacts),
            self.free_mail,
        )
        self.attributor, self.version = attributor, version
        log.info("reference data loaded",
                 extra={"accounts": len(accounts), "contacts": len(contacts)})
        return True
