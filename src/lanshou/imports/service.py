"""``import_orders``: stream an order export into the database in chunked, resumable steps.

Two passes over each file, both streaming:

1. a scan of the time columns (and the header, and the encoding: a UTF-8 guess that fails
   later in the file switches to GB18030 and the scan starts again) decides each column's
   day/month order before anything is written;
2. the import proper, in chunks of :data:`CHUNK` rows. Each chunk is one transaction (orders,
   items, shipments, audit records, evaluation), so an interrupted import leaves whole chunks
   behind and running it again completes it: the upserts find the earlier chunks unchanged.

Olist's two files are joined through a throw-away SQLite file on disk (items staged by order),
so memory stays bounded for any size of data set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Platform
from lanshou.domain.rules.errors import RulesError
from lanshou.enforcement.rules_context import RulesContext
from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder, OrderEvidence, TimeFormatError, infer_orders
from lanshou.imports.mapping import TIME_FIELDS, Mapping, load_mapping
from lanshou.imports.reading import Cell, TableFile, open_table
from lanshou.imports.records import ColumnIndex, OrderRecord, RowError, RowReader
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.shop_orders import merge_row, order_from_row
from lanshou.imports.upsert import ChunkResult, OrderWriter, ensure_platform

__all__ = ["CHUNK", "SOURCES", "ImportProgress", "ImportSummary", "import_orders"]

CHUNK = 5000
SOURCES = ("generic", "douyin", "olist")


@dataclass(frozen=True)
class ImportProgress:
    phase: str  # "scan" (first pass) or "import"
    bytes_done: int
    bytes_total: int
    rows_read: int
    chunks_done: int


ProgressFn = Callable[[ImportProgress], None]


@dataclass
class ImportSummary:
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    orders_without_items: int = 0  # olist
    items_without_orders: int = 0  # olist
    unknown_carriers: Counter[str] = field(default_factory=Counter)
    pickup_events: int = 0
    shipments_evaluated: int = 0
    chunks: int = 0
    rejects_files: list[Path] = field(default_factory=list)

    def add(self, chunk: ChunkResult) -> None:
        self.inserted += chunk.inserted
        self.updated += chunk.updated
        self.unchanged += chunk.unchanged
        self.unknown_carriers.update(chunk.unknown_carriers)
        self.pickup_events += chunk.pickup_events
        self.shipments_evaluated += chunk.shipments_evaluated
        self.chunks += 1

    def lines(self) -> list[str]:
        out = [
            f"rows read:  {self.rows_read}",
            f"inserted:   {self.inserted}",
            f"updated:    {self.updated}",
            f"unchanged:  {self.unchanged}",
            f"rejected:   {self.rejected}",
        ]
        if self.source == "olist":
            out += [
                f"orders without items: {self.orders_without_items}",
                f"items without orders: {self.items_without_orders}",
                f"pickup scans recorded: {self.pickup_events}",
            ]
        if self.unknown_carriers:
            names = ", ".join(f"{n} ({c})" for n, c in self.unknown_carriers.most_common(10))
            out.append(
                f"warning: {sum(self.unknown_carriers.values())} shipment(s) name a carrier "
                f"lanshou does not know, kept without a carrier: {names}"
            )
        out += [f"rejected rows written to {p}" for p in self.rejects_files]
        return out


@dataclass
class _Run:
    """What one import needs everywhere: database, clock, rules, counters, progress."""

    sessions: sessionmaker[Session]
    writer: OrderWriter
    summary: ImportSummary
    progress: ProgressFn | None
    bytes_total: int
    bytes_before: int = 0  # bytes of files already done (olist: the items file)

    def report(self, phase: str, table: TableFile) -> None:
        if self.progress is not None:
            self.progress(
                ImportProgress(
                    phase,
                    self.bytes_before + table.position,
                    self.bytes_total,
                    self.summary.rows_read,
                    self.summary.chunks,
                )
            )

    def flush(self, records: list[OrderRecord], table: TableFile) -> None:
        if not records:
            return
        try:
            with self.sessions() as session:
                result = self.writer.write(session, records)
                session.commit()
        except BaseException:
            self.writer.forget_uncommitted()
            raise
        self.summary.add(result)
        self.report("import", table)


def _wanted(mapping: Mapping, items: bool = False) -> dict[str, list[str]]:
    cols = mapping.item_columns if items else mapping.columns
    return {f: mapping.names(f, items=items) for f in cols}


def scan_dates(
    table: TableFile,
    wanted: dict[str, list[str]],
    required: list[str],
    forced: DateOrder | None,
    report: Callable[[], None] | None = None,
) -> tuple[ColumnIndex, dict[str, DateOrder | None]]:
    """First pass: check the header, settle the encoding and each time column's date order."""
    holder: list[ColumnIndex] = []

    def check(header: list[str]) -> None:
        holder.append(ColumnIndex(wanted, header, str(table.path), required))

    while True:
        holder.clear()
        evidence: dict[str, OrderEvidence] = {}
        try:
            spots: list[tuple[int, OrderEvidence]] = []
            for n, (_, cells) in enumerate(table.rows(check)):
                if not spots:
                    for fld, places in holder[0].index.items():
                        if fld in TIME_FIELDS:
                            for i, name in places:
                                evidence[name] = ev = OrderEvidence()
                                spots.append((i, ev))
                for i, ev in spots:
                    if i < len(cells):
                        ev.add(cells[i])
                if report is not None and n % CHUNK == 0:
                    report()
        except UnicodeDecodeError as exc:
            if table.encoding in ("utf-8", "utf-8-sig"):
                table.encoding = "gb18030"  # UTF-8 at the head only: GBK further down
                continue
            raise InvalidInput(
                f"{table.path}: this is not a CSV text file (undecodable bytes at offset "
                f"{exc.start} of a chunk; expected UTF-8 or GBK/GB18030)"
            ) from exc
        if not holder:
            raise InvalidInput(f"{table.path}: the file is empty")
        try:
            return holder[0], infer_orders(evidence, forced, str(table.path))
        except TimeFormatError as exc:
            raise InvalidInput(str(exc)) from exc


def _rows(
    table: TableFile, reader: RowReader, rejects: RejectsFile, summary: ImportSummary
) -> Iterator[tuple[int, list[Cell]]]:
    """The rows of the second pass, each loaded into `reader`; bad shapes go to rejects."""
    for number, cells in table.rows():
        summary.rows_read += 1
        try:
            reader.load(cells)
        except RowError as exc:
            rejects.add(number, exc.column, exc.reason, table.header, cells)
            summary.rejected += 1
            continue
        yield number, cells


def import_orders(
    sessions: sessionmaker[Session],
    path: Path,
    *,
    source: str,
    mapping: Path | None = None,
    shop: str | None = None,
    date_order: DateOrder | None = None,
    profile: str | None = None,
    items: Path | None = None,
    now: datetime,
    ctx: RulesContext,
    progress: ProgressFn | None = None,
) -> ImportSummary:
    """Import an order export (generic, douyin or olist) into the database; see the module doc."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}; use {', '.join(SOURCES)}")
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    layout = load_mapping(source, mapping)
    platform_code = profile or layout.platform
    with sessions() as session:
        known = session.execute(
            select(Platform.profile).where(Platform.code == platform_code)
        ).scalar_one_or_none()
    profile_name = known or platform_code
    try:
        tz = ctx.profile(profile_name).tz  # before creating anything: a bad name changes nothing
    except RulesError as exc:
        raise InvalidInput(f"profile {profile_name!r}: {exc}") from exc
    with sessions() as session:
        platform_id = ensure_platform(session, platform_code, profile_name)
        session.commit()
    summary = ImportSummary(source)
    writer = OrderWriter(platform_id, now, ctx, reason=f"import {path.name}")
    if source == "olist":
        from lanshou.imports.olist import import_olist

        import_olist(sessions, path, items, layout, date_order, tz, writer, summary, progress)
    else:
        _import_shop_orders(sessions, path, layout, shop, date_order, tz, writer, summary, progress)
    return summary


def _import_shop_orders(
    sessions: sessionmaker[Session],
    path: Path,
    layout: Mapping,
    shop: str | None,
    date_order: DateOrder | None,
    tz: tzinfo,
    writer: OrderWriter,
    summary: ImportSummary,
    progress: ProgressFn | None,
) -> None:
    table = open_table(path)
    run = _Run(sessions, writer, summary, progress, table.size * 2)
    required = ["order_id", "paid_at"]
    if layout.amount_scope == "order":
        required.append("amount")
    if shop is None and "shop" in layout.columns:
        required.append("shop")
    elif shop is None:
        raise InvalidInput(f"the {layout.source} mapping has no shop column: pass --shop")
    index, orders = scan_dates(
        table, _wanted(layout), required, date_order, lambda: run.report("scan", table)
    )
    run.bytes_before = table.size
    reader = RowReader(index, tz, orders)
    rejects = RejectsFile(path)
    pending: dict[tuple[str, str], OrderRecord] = {}
    rows_in_chunk = 0
    last: tuple[str, str] | None = None
    try:
        for number, cells in _rows(table, reader, rejects, summary):
            try:
                record = order_from_row(reader, layout, shop)
                record.row = number
                key = (record.shop, record.external_id)
                if rows_in_chunk >= CHUNK and key != last:
                    run.flush(list(pending.values()), table)
                    pending, rows_in_chunk = {}, 0
                first = pending.get(key)
                if first is None:
                    pending[key] = record
                elif layout.multi_row:
                    merge_row(first, record, layout)
                else:
                    raise RowError(
                        index.columns("order_id"),
                        f"duplicate order {record.external_id!r} (first on row {first.row})",
                    )
            except RowError as exc:
                rejects.add(number, exc.column, exc.reason, table.header, cells)
                summary.rejected += 1
                continue
            rows_in_chunk += 1
            last = key
        run.flush(list(pending.values()), table)
    finally:
        done = rejects.close()
        if done is not None:
            summary.rejects_files.append(done)
