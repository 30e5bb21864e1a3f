"""``lanshou import tracking FILE``: a CSV of scans, streamed in chunks into the tracking inbox.

Columns: ``carrier,waybill,time,status[,location,description]`` (a header row is optional).
Times without an offset are read in ``tz`` (Asia/Shanghai unless told otherwise). Each chunk is
its own transaction, so a million-row file neither holds one huge transaction nor loses the
chunks already stored if a later one fails. Rows that cannot be read go to ``FILE.rejects.csv``
with their line number and the reason; the others are stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.domain.tracking import STATUSES
from lanshou.enforcement import RulesContext, drain_inbox
from lanshou.errors import InvalidInput
from lanshou.feeds.ingest import IngestSummary, PlainEvent, ingest_events

COLUMNS = ("carrier", "waybill", "time", "status", "location", "description")
CHUNK = 5000


@dataclass
class CsvImportSummary:
    rows: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    events: IngestSummary = field(default_factory=IngestSummary)


def rejects_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def parse_row(row: list[str], tz: tzinfo) -> PlainEvent:
    """One CSV row as an event, or ``ValueError`` naming the column."""
    if not 4 <= len(row) <= 6:
        raise ValueError(f"expected 4 to 6 columns, found {len(row)}")
    cells = [c.strip() for c in row] + [""] * (6 - len(row))
    carrier, waybill, when, status, location, description = cells
    if not carrier:
        raise ValueError("carrier: empty")
    if not waybill or len(waybill) > 64:
        raise ValueError("waybill: must be 1–64 characters")
    try:
        at = datetime.fromisoformat(when)
    except ValueError as exc:
        raise ValueError(f"time: {when!r} is not an ISO 8601 time") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    if status not in STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(sorted(STATUSES))}")
    if len(location) > 128:
        raise ValueError("location: longer than 128 characters")
    raw = dict(zip(COLUMNS, cells, strict=True))
    return PlainEvent(
        carrier=carrier,
        waybill=waybill,
        time=at,
        status=status,
        location=location or None,
        description=description or None,
        raw=raw,
    )


def _rows(handle: IO[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle)
    for row in reader:
        line = reader.line_num
        if not row or not "".join(row).strip():
            continue
        if line == 1 and row[0].strip().casefold() == "carrier":
            continue
        yield line, row


def import_tracking_csv(
    sessions: sessionmaker[Session],
    path: Path,
    *,
    tz: tzinfo,
    now: datetime,
    chunk: int = CHUNK,
    judge: RulesContext | None = None,
) -> CsvImportSummary:
    """Accept every readable row into the tracking inbox, a receipt per chunk; write the others
    to the rejects file. With ``judge``, the inbox is drained after each chunk (the CLI alone
    on its database): chunks are stored and judged in file order, so an import killed and run
    again ends where one run ends. Without, the workers judge them."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    summary = CsvImportSummary()
    rejects = rejects_path_for(path)
    rejects.unlink(missing_ok=True)
    writer = None
    batch: list[PlainEvent] = []

    def flush() -> None:
        if batch:
            with unit_of_work(sessions) as session:
                summary.events.add(ingest_events(session, batch, now, source="import"))
            batch.clear()
            if judge is not None:
                drain_inbox(sessions, now, judge)

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reject_handle = None
        try:
            for line, row in _rows(handle):
                summary.rows += 1
                try:
                    batch.append(parse_row(row, tz))
                except ValueError as exc:
                    if writer is None:
                        reject_handle = rejects.open("w", encoding="utf-8", newline="")
                        writer = csv.writer(reject_handle)
                        writer.writerow(["line", "error", *COLUMNS])
                    writer.writerow([line, str(exc), *row])
                    summary.rejected += 1
                if len(batch) >= chunk:
                    flush()
            flush()
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason})") from exc
        finally:
            if reject_handle is not None:
                reject_handle.close()
    summary.rejects_path = rejects if summary.rejected else None
    return summary
