"""``pulse forget EMAIL``: erase a person everywhere and keep them out.

The person is known only by keyed hashes (person_key is the keyed hash of their email), so the
erasure computes the key, deletes every row that names it (events, including a linked
visitor's anonymous ones, identity links, the contact and so their name, dead letters
whose bytes contain the address, their key in alerts) and publishes a suppression that
every worker applies at ingest: a replay of old events does not bring the person back.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from schemas.events import valid_email
from services.reference.topics import ReferencePublisher
from services.warehouse import Warehouse
from streams.ingest.pseudonyms import keyed
from streams.settings import Settings

log = logging.getLogger("pulse.privacy")
SECRET_HOWTO = ("set PULSE_PERSON_KEY_SECRET to a long random value, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it: "
                "a new secret gives everyone new person keys")


def require_person_key(settings: Settings) -> None:
    """A development person-key secret is refused when the broker or the warehouse is not
    on this machine, and warned about when both are (a local trial)."""
    problem = settings.person_key_problem()
    if problem is None:
        return
    if not settings.local_only:
        raise RuntimeError(f"refusing to start: {problem} and the broker or warehouse is not "
                           f"on this machine; {SECRET_HOWTO}")
    log.warning(f"{problem}: acceptable for a local trial only; {SECRET_HOWTO}")


@dataclass(frozen=True)
class Forgotten:
    person_key: str
    events: int
    visitors: int
    contacts: int
    dead_letters: int


def exact_address(email: str) -> str:
    """An RE2 pattern matching ``email`` as a whole address in free text (case-insensitive),
    never as part of a longer one: 'ann@acme.com' must not erase 'joann@acme.com'."""
    return (r"(?i)(^|[^A-Za-z0-9._%+\-])" + re.escape(email) + r"($|[^A-Za-z0-9.\-])")


def forget(settings: Settings, warehouse: Warehouse, publisher: ReferencePublisher,
           email: str) -> Forgotten:
    """Erase one person. The address is validated first: erasure matches it exactly, so a
    blank or partial argument cannot match everyone."""
    try:
        email = valid_email(email)
    except ValueError as err:
        raise ValueError(f"{err}; give the full address of the person to forget") from None
    pk = keyed(settings.person_key_secret.get_secret_value().encode(), "e:" + email)
    visitors = [r[0] for r in warehouse.query_params(
        "SELECT visitor_key FROM abm.identities FINAL WHERE person_key = {pk:String}",
        {"pk": pk})]
    # Suppress first, the person and their browsers: from now on no worker lands them
    # again, whatever follows (also after the identity links below are gone).
    keys = [pk, *visitors]
    publisher.send("suppressions", [(k, {"person_key": k}) for k in keys])
    publisher.delete("contacts", [email])
    warehouse.insert("abm.suppressions", ["person_key"], [[k] for k in keys])
    params = {"pk": pk, "visitors": visitors, "email": email, "pattern": exact_address(email)}
    who = "person_key = {pk:String} OR visitor_key IN {visitors:Array(String)}"
    dead = "match(payload, {pattern:String})"

    def count(sql: str) -> int:
        return int(warehouse.query_params(sql, params)[0][0])

    result = Forgotten(
        pk,
        events=count(f"SELECT uniqExact(event_id) FROM abm.events WHERE {who}"),
        visitors=len(visitors),
        contacts=count("SELECT count() FROM abm.contacts FINAL WHERE email = {email:String}"),
        dead_letters=count(f"SELECT count() FROM abm.dead_letters WHERE {dead}"),
    )
    for sql in (f"DELETE FROM abm.events WHERE {who}",
                "DELETE FROM abm.identities WHERE person_key = {pk:String}",
                "DELETE FROM abm.contacts WHERE email = {email:String}",
                f"DELETE FROM abm.dead_letters WHERE {dead}",
                # alerts name no one, but keep their contacts' keys: this one goes too
                "ALTER TABLE abm.surge_alerts UPDATE contact_keys = arrayFilter(k -> k != "
                "{pk:String}, contact_keys) WHERE has(contact_keys, {pk:String}) "
                "SETTINGS mutations_sync = 1"):
        warehouse.command(sql, params)
    return result
