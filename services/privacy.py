"""``pulse forget EMAIL``: erase a person everywhere and keep them out.

The person is known only by keyed hashes (person_key is the keyed hash of their email), so the
erasure computes the key, deletes every row that names it (events, including a linked
visitor's anonymous ones, identity links, the contact, dead letters whose bytes contain
the address) and publishes a suppression that every worker applies at ingest: a replay of
old events does not bring the person back.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.reference_loader import sql_string
from services.reference_topics import ReferencePublisher
from services.warehouse import Warehouse
from streams.pseudonyms import keyed
from streams.settings import Settings


@dataclass(frozen=True)
class Forgotten:
    person_key: str
    events: int
    visitors: int
    contacts: int
    dead_letters: int


def forget(settings: Settings, warehouse: Warehouse, publisher: ReferencePublisher,
           email: str) -> Forgotten:
    email = email.strip().lower()
    pk = keyed(settings.person_key_secret.get_secret_value().encode(), "e:" + email)
    visitors = [r[0] for r in warehouse.query(
        f"SELECT visitor_key FROM abm.identities FINAL WHERE person_key = {sql_string(pk)}").rows]
    # Suppress first, the person and their browsers: from now on no worker lands them
    # again, whatever follows (also after the identity links below are gone).
    keys = [pk, *visitors]
    publisher.send("suppressions", [(k, {"person_key": k}) for k in keys])
    publisher.delete("contacts", [email])
    warehouse.insert("abm.suppressions", ["person_key"], [[k] for k in keys])

    def count(sql: str) -> int:
        return int(warehouse.query(sql).rows[0][0])

    def delete(sql: str) -> None:
        warehouse.query(sql, readonly=False)

    who = f"person_key = {sql_string(pk)}"
    if visitors:
        who += " OR visitor_key IN (" + ", ".join(sql_string(v) for v in visitors) + ")"
    where_dead = f"positionCaseInsensitive(payload, {sql_string(email)}) > 0"
    result = Forgotten(
        pk,
        events=count(f"SELECT uniqExact(event_id) FROM abm.events WHERE {who}"),
        visitors=len(visitors),
        contacts=count(f"SELECT count() FROM abm.contacts FINAL WHERE email = {sql_string(email)}"),
        dead_letters=count(f"SELECT count() FROM abm.dead_letters WHERE {where_dead}"),
    )
    delete(f"DELETE FROM abm.events WHERE {who}")
    delete(f"DELETE FROM abm.identities WHERE person_key = {sql_string(pk)}")
    delete(f"DELETE FROM abm.contacts WHERE email = {sql_string(email)}")
    delete(f"DELETE FROM abm.dead_letters WHERE {where_dead}")
    return result
