from __future__ import annotations

from collections.abc import Iterable


class ContactBook:
    """Known people: lower-cased email -> account id."""

    def __init__(self, contacts: Iterable[tuple[str, str]] = ()) -> None:
        self._by_email = {email.lower(): account_id for email, account_id in contacts}

    def __len__(self) -> int:
        return len(self._by_email)

    def lookup(self, email: str) -> str | None:
        return self._by_email.get(email.lower())
