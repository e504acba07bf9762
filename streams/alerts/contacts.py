"""The known contacts behind an alert, named for the rep who reads it.

An alert keeps only its contacts' person keys: names live in abm.contacts, the customer's
own CRM records, and are looked up when the alert is shown or delivered. So a contact
erased by `pulse forget` is never named again, and anonymous visitors, who have no
contact row, stay keyed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from schemas.alerts import KnownContact, OpenOpportunity, SurgeAlert
from streams.ingest.scoring import ScoringRules

CONTACTS_SQL = ("SELECT person_key, name, email, title FROM abm.contacts FINAL "
                "WHERE person_key IN {keys:Array(String)}")


def known_contacts(keys: Sequence[str], rows: Iterable[Sequence[Any]],
                   rules: ScoringRules) -> list[KnownContact]:
    """``keys``' contacts in their order, from (person_key, name, email, title) rows; a
    key without a row (erased since) is left out."""
    by_key = {str(k): (str(n), str(e), str(t)) for k, n, e, t in rows}
    out = []
    for key in keys:
        if key in by_key:
            name, email, title = by_key[key]
            out.append(KnownContact(name=name or email, title=title,
                                    persona=rules.persona(title) if title else ""))
    return out


def describe(contact: KnownContact) -> str:
    """'Jane Doe (CFO, economic buyer)'."""
    about = [p for p in (contact.title, contact.persona.replace("_", " ")) if p]
    return contact.name + (f" ({', '.join(about)})" if about else "")


def with_names(reason: str, contacts: Sequence[KnownContact]) -> str:
    """The reason a rep reads, naming the known contacts behind it."""
    if not contacts:
        return reason
    return f"{reason}; known contacts: {', '.join(describe(c) for c in contacts)}"


def named(alert: SurgeAlert, rows: Iterable[Sequence[Any]], rules: ScoringRules,
          opportunities: Iterable[Sequence[Any]] = ()) -> SurgeAlert:
    """The alert as delivered: its contacts named, in ``contacts`` and in its reason, and
    the account's open opportunities (rows of account_open_opportunities.sql)."""
    contacts = known_contacts(alert.contact_keys, rows, rules)
    return alert.model_copy(update={"contacts": contacts,
                                    "reason": with_names(alert.reason, contacts),
                                    "open_opportunities": open_opportunities(opportunities)})


def open_opportunities(rows: Iterable[Sequence[Any]]) -> list[OpenOpportunity]:
    """(account_id, opportunity_id, name, stage, amount, currency, created_at) rows."""
    return [OpenOpportunity(opportunity_id=str(o), name=str(n), stage=str(st),
                            amount=f"{amount:.2f}", currency=str(cur), created_at=created)
            for _, o, n, st, amount, cur, created in rows]
