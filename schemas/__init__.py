"""Event and reference models: the contract with publishers and loaders."""

from schemas.events import EVENT_MODELS, AdClick, EmailClick, EmailOpen, Event, WebVisit
from schemas.reference import Account, Contact, IpRange

__all__ = [
    "EVENT_MODELS", "Account", "AdClick", "Contact", "EmailClick", "EmailOpen", "Event",
    "IpRange", "WebVisit",
]
