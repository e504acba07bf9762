from __future__ import annotations

from collections.abc import Iterable


class ContactBook:
    """Known people: lower-cased email -> account id (and job title, for scoring)."""

    def __init__(self, contacts: Iterable[tuple[str, str, str]] = ()) -> None:
        self._by_email = {email.lower(): (account_id, title)
                          for email, account_id, title in contacts}

    def __len__(self) -> int:
        return len(self._by_email)

    def lookup(self, email: str) -> str | None:
        found = self._by_email.get(email.lower())
        return found[0] if found else None

    def title(self, email: str) -> str:
        found = self._by_email.get(email.lower())
        return found[1] if found else ""
