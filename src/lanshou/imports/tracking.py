"""``import_tracking``: a file of carrier scans into the tracking inbox, in chunks.

The file is read by the one reading layer (:func:`~lanshou.imports.scans.scan_chunks`, the
reader ``lanshou check`` uses for its tracking file): CSV in UTF-8, with a BOM or in
GBK/GB18030, or XLSX; every time shape and offset form :mod:`~lanshou.imports.dates` accepts,
naive times in `tz`; waybills normalised; refused rows in ``FILE.rejects.csv`` with their row
number and column while the good rows are kept. Each chunk's scans are resolved to carriers
(:func:`~lanshou.orders.inbox_scans`, the feeds' alias table) and accepted under one
receipt in one transaction, the path every feed takes (:mod:`lanshou.enforcement.inbox`), so a
million-row file holds no huge transaction and keeps the chunks already stored if a later one
fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.enforcement import RulesContext, accept_scans, drain_inbox
from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder
from lanshou.imports.run import CHUNK, ImportSummary, ProgressFn, ReadRun
from lanshou.imports.scans import scan_chunks
from lanshou.orders import CarrierResolver, inbox_scans

__all__ = ["SOURCE", "TrackingImportSummary", "import_tracking"]

SOURCE = "import"  # the source every scan of a file is stored with


@dataclass
class TrackingImportSummary:
    rows: int = 0  # data rows read (blank rows aside)
    rejected: int = 0
    rejects_path: Path | None = None
    receipt_ids: list[int] = field(default_factory=list)
    accepted: int = 0
    unknown_carriers: Counter[str] = field(default_factory=Counter)


def import_tracking(
    sessions: sessionmaker[Session],
    path: Path,
    *,
    tz: tzinfo,
    now: datetime,
    chunk: int = CHUNK,
    judge: RulesContext | None = None,
    date_order: DateOrder | None = None,
    progress: ProgressFn | None = None,
    locale: str | None = None,
) -> TrackingImportSummary:
    """Accept every readable scan into the tracking inbox, a receipt per chunk.

    With `judge`, the inbox is drained after each chunk (the CLI alone on its database):
    chunks are stored and judged in file order, so an import killed and run again ends where
    one run ends. Without, the workers judge them. `locale`: the language of the reasons in
    the rejects file (default zh_CN)."""
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    read = ImportSummary("tracking")
    run = ReadRun(read, progress, locale=locale)
    out = TrackingImportSummary()
    carriers: CarrierResolver | None = None
    for events in scan_chunks(path, tz, date_order, run, chunk):
        with unit_of_work(sessions) as session:
            # Loaded once the file has proved readable; the table does not change meanwhile.
            carriers = carriers or CarrierResolver.load(session)
            unknown: Counter[str] = Counter()
            scans = inbox_scans(events, carriers, SOURCE, unknown)
            accepted = accept_scans(
                session, scans, now, source=SOURCE, unknown_carriers=sum(unknown.values())
            )
        out.receipt_ids.append(accepted.receipt_id)
        out.accepted += accepted.accepted
        out.unknown_carriers.update(unknown)
        if judge is not None:
            drain_inbox(sessions, now, judge)
    out.rows, out.rejected = read.rows_read, read.rejected
    out.rejects_path = read.rejects_files[0] if read.rejects_files else None
    return out
