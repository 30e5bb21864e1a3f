"""Tracking scans as a file holds them (``carrier,waybill,time,status[,location,description]``),
through the same reader as the order exports: encodings, XLSX, date order, naive times local.

Each scan's waybill is normalised as the feeds do (``normalise_waybill``), so an order meets its
own scans whatever case either file used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from lanshou.domain.tracking import STATUSES, normalise_waybill
from lanshou.imports.dates import DateOrder
from lanshou.imports.reading import open_table
from lanshou.imports.records import RowError, RowReader
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.run import CHUNK, ReadRun, accepted_rows, scan_dates

__all__ = ["SCAN_COLUMNS", "SCAN_REQUIRED", "SCAN_TIMES", "Scan", "scan_chunks", "scan_from_row"]

SCAN_COLUMNS = {
    "carrier": ["carrier"],
    "waybill": ["waybill"],
    "time": ["time"],
    "status": ["status"],
    "location": ["location"],
    "description": ["description"],
}
SCAN_TIMES = frozenset({"time"})
SCAN_REQUIRED = ["carrier", "waybill", "time", "status"]


@dataclass(frozen=True)
class Scan:
    carrier: str
    waybill: str  # normalised
    time: datetime
    status: str


def scan_from_row(r: RowReader) -> Scan:
    carrier = r.text("carrier", 64, required=True)
    waybill = r.text("waybill", 64, required=True)
    at = r.time("time", required=True)
    status = r.text("status", 32, required=True)
    assert carrier is not None and waybill is not None and at is not None and status is not None
    if status not in STATUSES:
        raise RowError("status", f"{status!r} is not one of {', '.join(sorted(STATUSES))}")
    return Scan(carrier, normalise_waybill(waybill), at, status)


def scan_chunks(
    path: Path, tz: tzinfo, date_order: DateOrder | None, run: ReadRun
) -> Iterator[list[Scan]]:
    """The readable scans of `path` in chunks; the others go to its rejects file."""
    table = open_table(path)
    index, orders = scan_dates(table, SCAN_COLUMNS, SCAN_REQUIRED, date_order, times=SCAN_TIMES)
    reader = RowReader(index, tz, orders)
    rejects = RejectsFile(path)
    chunk: list[Scan] = []
    try:
        for number, cells in accepted_rows(table, reader, rejects, run):
            try:
                chunk.append(scan_from_row(reader))
            except RowError as exc:
                run.reject(rejects, table, number, exc, cells)
                continue
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        yield chunk
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)
