"""The rejects file next to an input: one line per refused row, the reason and the row itself."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from lanshou.batch import Rejected
from lanshou.imports.reading import Cell

__all__ = ["RejectsFile", "rejects_path"]


def rejects_path(path: Path) -> Path:
    """``orders.csv`` → ``orders.csv.rejects.csv`` (same directory): the whole file name, so
    ``orders.csv`` and ``orders.xlsx`` imported side by side never overwrite each other's."""
    return path.with_name(f"{path.name}.rejects.csv")


class RejectsFile:
    """Written as rows are refused, so it stays small in memory; created on the first reject.

    A stale rejects file from an earlier run is removed first, so the file always describes the
    latest run. UTF-8 with a BOM, so spreadsheet programs show Chinese text correctly.
    """

    def __init__(self, source: Path) -> None:
        self.path = rejects_path(source)
        self.count = 0
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self.path.unlink(missing_ok=True)

    def add(self, rejected: Rejected, reason: str, header: list[str], cells: list[Cell]) -> None:
        """One refused row: its number, the column at fault, the reason's stable code (for
        scripts and filters), the reason in words (`reason`, in the run's language), the row."""
        if self._fh is None:
            self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._fh)
            self._csv.writerow(["row_number", "column", "reason_code", "reason", *header])
        values = [c.isoformat(sep=" ") if isinstance(c, datetime) else (c or "") for c in cells]
        self._csv.writerow([rejected.row, rejected.column, rejected.code, reason, *values])
        self.count += 1

    def close(self) -> Path | None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        return self.path if self.count else None
