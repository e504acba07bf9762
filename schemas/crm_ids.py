"""CRM record ids as one key: Salesforce's 15- and 18-character forms are one record.

Salesforce ids come case-sensitive in 15 characters (reports, URLs) and case-safe in 18
(API, Data Loader): the last three characters encode, five characters each, which letters
of the first fifteen are upper case. Normalising to 18 makes the two forms join, and gives a
case-folded 18-character id (a spreadsheet's UPPER()) its case back. HubSpot ids are
numbers and pass unchanged.
"""

from __future__ import annotations

import re

_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SALESFORCE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")


def salesforce_suffix(id15: str) -> str:
    """The three checksum characters of a 15-character id (Salesforce's CASESAFEID)."""
    out = []
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")
        out.append(_SUFFIX[bits])
    return "".join(out)


def is_salesforce_id(value: str) -> bool:
    """15 or 18 ASCII letters and digits, not all digits (HubSpot's ids are numbers)."""
    return bool(_SALESFORCE.match(value)) and not value.isdigit()


def salesforce_id18(value: str) -> str:
    """The 18-character form of a Salesforce id given in either form.

    A case-folded 18-character id (all its letters upper or lower case, as a spreadsheet
    or a case-insensitive system leaves it) gets the case of its first 15 characters back
    from the suffix. ValueError when the suffix cannot be the checksum of those characters
    (a digit marked upper case, a letter outside the suffix alphabet), or disagrees with
    the case an id kept.
    """
    value = value.strip()
    if not _SALESFORCE.match(value):
        raise ValueError(f"{value!r} is not a Salesforce id (15 or 18 letters and digits)")
    if len(value) == 15:
        return value + salesforce_suffix(value)
    suffix = value[15:].upper()
    if any(c not in _SUFFIX for c in suffix):
        raise ValueError(f"{value!r}: its last three characters are not a Salesforce checksum")
    chars = []
    for n, c in enumerate(value[:15]):
        upper = _SUFFIX.index(suffix[n // 5]) >> (n % 5) & 1
        if upper and not c.isalpha():
            raise ValueError(f"{value!r}: the checksum does not match the id (character "
                             f"{n + 1}, {c!r}, cannot be upper case)")
        chars.append(c.upper() if upper else c.lower())
    rebuilt = "".join(chars)
    head = value[:15]
    if not (head == head.upper() or head == head.lower()) and head != rebuilt:
        raise ValueError(f"{value!r}: the checksum does not match the id's case (the id "
                         f"{head} has the checksum {salesforce_suffix(head)})")
    return rebuilt + suffix


def crm_key(value: str) -> str:
    """One key per CRM record: Salesforce ids in their 18-character form, others (HubSpot's
    numbers) as given. The same function on both sides of a join."""
    value = value.strip()
    return salesforce_id18(value) if is_salesforce_id(value) else value
