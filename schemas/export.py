"""Export JSON Schema for every model, one file per SchemaVer id.

``python -m schemas.export`` rewrites ``schemas/jsonschema/``; a contract test fails when
the committed files differ from the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.alerts import SurgeAlert
from schemas.events import EVENT_MODELS
from schemas.reference import Account, Contact, IpRange

JSONSCHEMA_DIR = Path(__file__).parent / "jsonschema"
MODELS: list[type[BaseModel]] = [*EVENT_MODELS.values(), Account, Contact, IpRange, SurgeAlert]


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


def write(target: Path = JSONSCHEMA_DIR) -> list[Path]:
    written = []
    for rel, text in render().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
