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

from datetime import datetime, tzinfo
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Platform
from lanshou.domain.rules.errors import RulesError
from lanshou.enforcement.rules_context import RulesContext
from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import Mapping, load_mapping
from lanshou.imports.olist import import_olist
from lanshou.imports.reading import open_table
from lanshou.imports.records import OrderRecord, RowError, RowReader
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.run import (
    CHUNK,
    ImportProgress,
    ImportRun,
    ImportSummary,
    ProgressFn,
    accepted_rows,
    scan_dates,
    wanted_columns,
)
from lanshou.imports.shop_orders import merge_row, order_from_row
from lanshou.imports.upsert import OrderWriter, ensure_platform

__all__ = ["CHUNK", "SOURCES", "ImportProgress", "ImportSummary", "import_orders"]

SOURCES = ("generic", "douyin", "olist")


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
    run = ImportRun(sessions, writer, summary, progress, table.size * 2)
    required = ["order_id", "paid_at"]
    if layout.amount_scope == "order":
        required.append("amount")
    if shop is None and "shop" in layout.columns:
        required.append("shop")
    elif shop is None:
        raise InvalidInput(f"the {layout.source} mapping has no shop column: pass --shop")
    index, orders = scan_dates(
        table, wanted_columns(layout), required, date_order, lambda: run.report("scan", table)
    )
    run.bytes_before = table.size
    reader = RowReader(index, tz, orders)
    rejects = RejectsFile(path)
    pending: dict[tuple[str, str], OrderRecord] = {}
    rows_in_chunk = 0
    last: tuple[str, str] | None = None
    try:
        for number, cells in accepted_rows(table, reader, rejects, summary):
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
