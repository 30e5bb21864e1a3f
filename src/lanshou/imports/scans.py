"""Tracking scans as a file holds them (``carrier,waybill,time,status[,location,description]``),
through the same reader as the order exports: encodings (UTF-8, BOM, GBK/GB18030), XLSX, date
order, every offset form, naive times local to the given zone.

Each scan's waybill is normalised as the feeds do (``normalise_waybill``), so an order meets its
own scans whatever case either file used. The carrier stays as written: ``import tracking``
resolves it with the database's carrier table, ``check`` does not need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path

from lanshou.domain.tracking import STATUSES, PlainEvent, normalise_waybill
from lanshou.i18n import N_
from lanshou.imports.dates import DateOrder
from lanshou.imports.reading import Cell, open_table
from lanshou.imports.records import RowError, RowReader, row_error
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.run import CHUNK, ReadRun, accepted_rows, scan_dates

__all__ = ["SCAN_COLUMNS", "SCAN_REQUIRED", "SCAN_TIMES", "scan_chunks", "scan_from_row"]

SCAN_COLUMNS = {
    "carrier": ["carrier"],
    "waybill": ["waybill"],
    "time": ["time"],
    "status": ["status"],
    "location": ["location"],
    "description": ["description"],
}
SCAN_REQUIRED = ["carrier", "waybill", "time", "status"]
SCAN_TIMES = frozenset({"time"})
_STATUS_LIST = ", ".join(sorted(STATUSES))


def _as_text(value: Cell) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return (value or "").strip()


def scan_from_row(r: RowReader) -> PlainEvent:
    """One row as a scan, or RowError naming the column."""
    carrier = r.text("carrier", 64, required=True)
    waybill = r.text("waybill", 64, required=True)
    at = r.time("time", required=True)
    status = r.text("status", 32, required=True)
    location = r.text("location", 128)
    description = r.text("description", 2000)  # as the JSON batch allows
    assert carrier is not None and waybill is not None and at is not None and status is not None
    if status not in STATUSES:
        raise row_error(
            r.index.columns("status"),
            "unknown_status",
            N_("'%(value)s' is not one of %(allowed)s"),
            value=status,
            allowed=_STATUS_LIST,
        )
    # What the file said, kept with the stored event (the time as written, not as parsed).
    raw = {
        "carrier": carrier,
        "waybill": waybill,
        "time": _as_text(r.raw("time")[0]),
        "status": status,
        "location": location or "",
        "description": description or "",
    }
    return PlainEvent(
        carrier, normalise_waybill(waybill), at, status, location, description, raw=raw
    )


def scan_chunks(
    path: Path,
    tz: tzinfo,
    date_order: DateOrder | None,
    run: ReadRun,
    chunk: int = CHUNK,
) -> Iterator[list[PlainEvent]]:
    """The readable scans of `path` in chunks of `chunk`; the others go to its rejects file.

    `run` hears of progress after the first pass (the header, the encoding, each time
    column's date order) and after each chunk the caller has taken."""
    table = open_table(path)
    run.bytes_total = table.size * 2
    index, orders = scan_dates(
        table,
        SCAN_COLUMNS,
        SCAN_REQUIRED,
        date_order,
        lambda: run.report("scan", table),
        SCAN_TIMES,
    )
    run.bytes_before = table.size
    reader = RowReader(index, tz, orders)
    rejects = RejectsFile(path)
    events: list[PlainEvent] = []
    try:
        for number, cells in accepted_rows(table, reader, rejects, run):
            try:
                events.append(scan_from_row(reader))
            except RowError as exc:
                run.reject(rejects, table, number, exc, cells)
                continue
            if len(events) >= chunk:
                yield events
                events = []
                run.summary.chunks += 1
                run.report("import", table)
        if events:
            yield events
            run.summary.chunks += 1
        run.report("import", table)
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)
