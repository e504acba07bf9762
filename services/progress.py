"""Progress of long CLI work (rich), on stderr and only for a terminal: loading a million
ranges or publishing a large file shows where it stands instead of staying silent."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


@contextmanager
def progress(enabled: bool | None = None) -> Iterator[Progress | None]:
    """A rich Progress when stderr is a terminal (or ``enabled``), else None."""
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True)) as bar:
        yield bar


class Steps:
    """Named counters on a Progress, or nothing when there is none."""

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.tasks: dict[str, object] = {}

    def start(self, name: str, total: int | None = None) -> None:
        if self.bar is not None:
            self.tasks[name] = self.bar.add_task(name, total=total)

    def advance(self, name: str, n: int = 1) -> None:
        if self.bar is not None and name in self.tasks:
            self.bar.advance(self.tasks[name], n)  # type: ignore[arg-type]

    def finish(self, name: str) -> None:
        if self.bar is not None and name in self.tasks:
            task = self.tasks[name]
            total = self.bar.tasks[self.bar.task_ids.index(task)].completed  # type: ignore[arg-type]
            self.bar.update(task, total=total, completed=total)  # type: ignore[arg-type]
