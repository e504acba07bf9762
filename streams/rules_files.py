"""Versioned rules files (TOML) read into their pydantic models: one error that names the
file and every problem with where it is, instead of a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def problems(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'file'}: {e['msg']}"
                     for e in err.errors())


def load(path: Path, model: type[M]) -> M:
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not TOML: {err}") from err
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise ValueError(f"{path}: {problems(err)}") from None
