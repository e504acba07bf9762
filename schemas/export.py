"""Export JSON Schema for every model, one file per SchemaVer id.

``python -m schemas.export`` rewrites ``schemas/jsonschema/``; a contract test fails when
the committed files differ from the models.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel

from schemas.alerts import SurgeAlert
from schemas.control import ControlAssignment
from schemas.events import EVENT_MODELS
from schemas.opportunities import Opportunity
from schemas.reference import Account, Contact, IpRange

JSONSCHEMA_DIR = Path(__file__).parent / "jsonschema"
MODELS: list[type[BaseModel]] = [*EVENT_MODELS.values(), Account, Contact, IpRange, SurgeAlert,
                                  Opportunity, ControlAssignment]


def render() -> dict[str, str]:
    """Relative path -> file text for every model."""
    out: dict[str, str] = {}
    for model in MODELS:
        schema_ver: str = model.schema_ver  # type: ignore[attr-defined]
        schema = model.model_json_schema(mode="validation")
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": schema_ver, **schema}
        out[f"{schema_ver}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


PUBLISHED = "PUBLISHED.sha256"  # every version ever published, with its content hash


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def published(target: Path = JSONSCHEMA_DIR) -> dict[str, str]:
    """Relative path -> sha256 of every schema version ever published."""
    path = target / PUBLISHED
    if not path.exists():
        return {}
    return dict(line.split("  ", 1)[::-1] for line in path.read_text().splitlines() if line)


def write(target: Path = JSONSCHEMA_DIR) -> list[Path]:
    """Write the current versions and record them as published. A published version is
    never rewritten: a changed model needs a new SchemaVer (publishers may still send the
    old one, and read its schema)."""
    known = published(target)
    written = []
    for rel, text in render().items():
        if rel in known and known[rel] != digest(text):
            raise SystemExit(f"{rel} was published with other content; give the model a new "
                             "SchemaVer instead of changing a published one")
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        known[rel] = digest(text)
        written.append(path)
    (target / PUBLISHED).write_text("".join(f"{h}  {rel}\n" for rel, h in sorted(known.items())))
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
