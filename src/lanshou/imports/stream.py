"""The one reading layer: any export (generic, 抖店, Olist, a user's mapping) as chunks of
order records, for ``import orders`` (database upserts) and ``check`` (a DuckDB table) alike.

Two streaming passes over each file: the first settles the header, the encoding and each time
column's day/month order; the second yields records in chunks of :data:`CHUNK` rows, the rows of
one multi-row order never split across chunks. Refused rows go to the rejects file (and to
``run.rejections`` when the caller keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path

from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import Mapping
from lanshou.imports.olist import olist_chunks
from lanshou.imports.reading import TableFile, open_table
from lanshou.imports.records import DUPLICATE_ORDER, OrderRecord, RowError, RowReader, row_error
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.run import (
    CHUNK,
    ReadRun,
    accepted_rows,
    required_fields,
    scan_dates,
    wanted_columns,
)
from lanshou.imports.shop_orders import merge_row, order_from_row

__all__ = ["SOURCES", "Chunks", "read_orders"]

SOURCES = ("generic", "douyin", "olist")
Chunks = Iterator[tuple[list[OrderRecord], TableFile]]


def read_orders(
    source: str,
    path: Path,
    layout: Mapping,
    run: ReadRun,
    *,
    tz: tzinfo,
    shop: str | None = None,
    date_order: DateOrder | None = None,
    items: Path | None = None,
) -> Chunks:
    """Chunks of order records (with the file they came from) of an export in `layout`."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}; use {', '.join(SOURCES)}")
    if source == "olist":
        return olist_chunks(path, items, layout, date_order, tz, run)
    return shop_order_chunks(path, layout, shop, date_order, tz, run)


def shop_order_chunks(
    path: Path,
    layout: Mapping,
    shop: str | None,
    date_order: DateOrder | None,
    tz: tzinfo,
    run: ReadRun,
) -> Chunks:
    """A shop's export (one row per order, or per item with ``multi_row``) in chunks."""
    table = open_table(path)
    run.bytes_total = table.size * 2
    required = required_fields(layout, shop)
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
        for number, cells in accepted_rows(table, reader, rejects, run):
            try:
                record = order_from_row(reader, layout, shop)
                record.row = number
                key = (record.shop, record.external_id)
                if rows_in_chunk >= CHUNK and key != last:
                    yield _counted(pending, run), table
                    pending, rows_in_chunk = {}, 0
                first = pending.get(key)
                if first is None:
                    pending[key] = record
                elif layout.multi_row:
                    merge_row(first, record, layout)
                else:
                    raise row_error(
                        index.columns("order_id"),
                        "duplicate_order",
                        DUPLICATE_ORDER,
                        order=record.external_id,
                        first=first.row,
                    )
            except RowError as exc:
                run.reject(rejects, table, number, exc, cells)
                continue
            rows_in_chunk += 1
            last = key
        yield _counted(pending, run), table
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)


def _counted(pending: dict[tuple[str, str], OrderRecord], run: ReadRun) -> list[OrderRecord]:
    """A chunk's orders, its phones without a tail counted (once per order, rows merged)."""
    records = list(pending.values())
    run.summary.phones_without_tail += sum(r.phone_without_tail for r in records)
    return records
