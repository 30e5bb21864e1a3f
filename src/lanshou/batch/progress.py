"""A progress bar for `lanshou check`, drawn on the error stream only when it is a terminal, so
`--json > file`, pipes and logs get exactly the output and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

__all__ = ["Stages", "stages_for"]


class Stages:
    """Named stages; one with a `total` shows a bar advanced by rows, the others a spinner."""

    def __init__(self, stream: TextIO | None) -> None:
        self._progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=stream, force_terminal=True),
                transient=True,
                # The report goes to stdout untouched, whatever the bar does on stderr.
                redirect_stdout=False,
                redirect_stderr=False,
            )
            if stream is not None
            else None
        )

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        progress = self._progress
        if progress is None:
            yield lambda _rows: None
            return
        task = progress.add_task(description, total=total)
        progress.start()
        try:
            yield lambda rows: progress.advance(task, rows)
        finally:
            progress.remove_task(task)
            progress.stop()


def stages_for(err: TextIO) -> Stages:
    """Stages drawn on `err` if it is a terminal, silent otherwise."""
    isatty = getattr(err, "isatty", None)
    return Stages(err if isatty is not None and isatty() else None)
