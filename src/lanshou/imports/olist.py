"""The Olist data set: orders file + items file, joined on disk, imported per (order, seller).

Items are staged in a temporary SQLite file indexed by order id, then the orders file is
streamed in chunks and each chunk fetches its items from there, so neither file is ever held in
memory. Each (order, seller) becomes an order of the seller's shop with one shipment keyed
``order_id:seller_id``; the order's hand-over to the carrier becomes a pickup scan. Orders
without items (no seller, so no shop) and items without orders (no purchase time) are counted,
never fatal.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path

from lanshou.domain.tracking import normalise_waybill
from lanshou.errors import InvalidInput
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import Mapping
from lanshou.imports.reading import TableFile, open_table
from lanshou.imports.records import (
    DUPLICATE_ORDER,
    ItemRecord,
    OrderRecord,
    RowError,
    RowReader,
    ShipmentRecord,
    row_error,
)
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.run import (
    CHUNK,
    ImportSummary,
    ReadRun,
    accepted_rows,
    scan_dates,
    wanted_columns,
)
from lanshou.imports.shop_orders import read_status

__all__ = ["olist_chunks", "olist_files"]

ORDERS_FILE = "olist_orders_dataset.csv"
ITEMS_FILE = "olist_order_items_dataset.csv"


def olist_files(path: Path, items: Path | None) -> tuple[Path, Path]:
    """(orders, items) from the data-set directory, or the orders file plus ``--items``."""
    if path.is_dir():
        return path / ORDERS_FILE, path / ITEMS_FILE
    if items is None:
        raise InvalidInput(f"{path}: the olist source needs the data-set directory or --items")
    return path, items


def waybill_for(order_id: str, seller: str) -> str:
    """Olist has no waybill numbers; the pickup scan needs one, so derive a stable one (in the
    one spelling of waybills, so the scan finds its shipment)."""
    candidate = f"{order_id}-{seller[:12]}"
    if len(candidate) > 64:
        candidate = "OL-" + hashlib.sha256(f"{order_id}:{seller}".encode()).hexdigest()[:40]
    return normalise_waybill(candidate)


def olist_chunks(
    path: Path,
    items: Path | None,
    layout: Mapping,
    date_order: DateOrder | None,
    tz: tzinfo,
    run: ReadRun,
) -> Iterator[tuple[list[OrderRecord], TableFile]]:
    """The data set as chunks of (order, seller) records; orphans are counted in the summary."""
    orders_path, items_path = olist_files(path, items)
    orders_t, items_t = open_table(orders_path), open_table(items_path)
    run.bytes_total = 2 * (orders_t.size + items_t.size)
    summary = run.summary
    o_index, o_dates = scan_dates(
        orders_t,
        wanted_columns(layout),
        ["order_id", "paid_at"],
        date_order,
        lambda: run.report("scan", orders_t),
    )
    run.bytes_before = orders_t.size
    required = ["order_id", "seller", "item_sku", "shipping_limit_at", "item_unit_price"]
    i_index, i_dates = scan_dates(
        items_t,
        wanted_columns(layout, items=True),
        required,
        date_order,
        lambda: run.report("scan", items_t),
    )
    run.bytes_before = orders_t.size + items_t.size
    with tempfile.TemporaryDirectory(prefix="lanshou-olist-") as tmp:
        stage = sqlite3.connect(Path(tmp) / "stage.db")
        try:
            stage.execute(
                "CREATE TABLE items (order_id TEXT, seller TEXT, sku TEXT, limit_at TEXT, "
                "price INTEGER, freight INTEGER)"
            )
            stage.execute("CREATE TABLE orders (order_id TEXT PRIMARY KEY, row INTEGER)")
            _stage_items(stage, items_t, RowReader(i_index, tz, i_dates), run)
            stage.execute("CREATE INDEX ix_items_order ON items (order_id)")
            run.bytes_before += items_t.size
            yield from _order_chunks(stage, orders_t, RowReader(o_index, tz, o_dates), layout, run)
            row = stage.execute(
                "SELECT count(DISTINCT order_id) FROM items "
                "WHERE order_id NOT IN (SELECT order_id FROM orders)"
            ).fetchone()
            summary.items_without_orders = int(row[0]) if row else 0
        finally:
            stage.close()


def _stage_items(
    stage: sqlite3.Connection,
    table: TableFile,
    reader: RowReader,
    run: ReadRun,
) -> None:
    rejects = RejectsFile(table.path)
    batch: list[tuple[str, str, str, str, int, int]] = []
    try:
        for number, cells in accepted_rows(table, reader, rejects, run):
            try:
                order_id = reader.text("order_id", 64, required=True)
                seller = reader.text("seller", 64, required=True)
                sku = reader.text("item_sku", 64, required=True)
                limit = reader.time("shipping_limit_at", required=True)
                price = reader.money("item_unit_price", required=True)
                freight = reader.money("item_freight") or 0
            except RowError as exc:
                run.reject(rejects, table, number, exc, cells)
                continue
            assert order_id and seller and sku and limit and price is not None
            batch.append((order_id, seller, sku, limit.isoformat(), price, freight))
            if len(batch) >= CHUNK:
                stage.executemany("INSERT INTO items VALUES (?,?,?,?,?,?)", batch)
                batch.clear()
                run.report("import", table)
        stage.executemany("INSERT INTO items VALUES (?,?,?,?,?,?)", batch)
        stage.commit()
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)


def _order_chunks(
    stage: sqlite3.Connection,
    table: TableFile,
    reader: RowReader,
    layout: Mapping,
    run: ReadRun,
) -> Iterator[tuple[list[OrderRecord], TableFile]]:
    rejects = RejectsFile(table.path)
    pending: list[tuple[int, str, str, datetime, datetime | None]] = []
    try:
        for number, cells in accepted_rows(table, reader, rejects, run):
            try:
                order_id = reader.text("order_id", 64, required=True)
                assert order_id is not None
                paid_at = reader.time("paid_at", required=True)
                assert paid_at is not None
                picked = reader.time("picked_up_at")
                status = read_status(reader, layout, False)
                first = stage.execute(
                    "SELECT row FROM orders WHERE order_id = ?", (order_id,)
                ).fetchone()
                if first is not None:
                    raise row_error(
                        reader.index.columns("order_id"),
                        "duplicate_order",
                        DUPLICATE_ORDER,
                        order=order_id,
                        first=first[0],
                    )
            except RowError as exc:
                run.reject(rejects, table, number, exc, cells)
                continue
            stage.execute("INSERT INTO orders VALUES (?, ?)", (order_id, number))
            pending.append((number, order_id, status, paid_at, picked))
            if len(pending) >= CHUNK:
                yield _records(stage, pending, run.summary), table
                pending = []
        yield _records(stage, pending, run.summary), table
    finally:
        stage.commit()
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)


def _records(
    stage: sqlite3.Connection,
    orders: list[tuple[int, str, str, datetime, datetime | None]],
    summary: ImportSummary,
) -> list[OrderRecord]:
    """One record per (order, seller) of the chunk's orders, from the staged items."""
    if not orders:
        return []
    marks = ",".join("?" * len(orders))
    grouped: dict[tuple[str, str], list[tuple[str, str, int, int]]] = defaultdict(list)
    for order_id, seller, sku, limit_at, price, freight in stage.execute(
        f"SELECT order_id, seller, sku, limit_at, price, freight FROM items "
        f"WHERE order_id IN ({marks}) ORDER BY rowid",
        [o[1] for o in orders],
    ):
        grouped[(order_id, seller)].append((sku, limit_at, price, freight))
    by_order: dict[str, list[str]] = defaultdict(list)
    for order_id, seller in grouped:
        by_order[order_id].append(seller)
    out = []
    for number, order_id, status, paid_at, picked in orders:
        sellers = by_order.get(order_id)
        if not sellers:
            summary.orders_without_items += 1
            continue
        for seller in sellers:
            lines = grouped[(order_id, seller)]
            items: dict[str, ItemRecord] = {}
            for sku, _, price, _ in lines:
                item = items.get(sku)
                if item is None:
                    items[sku] = ItemRecord(sku, sku, price, 1)
                else:
                    item.quantity += 1
                    item.unit_price_fen = max(item.unit_price_fen, price)
            amount = sum(price + freight for _, _, price, freight in lines)
            out.append(
                OrderRecord(
                    row=number,
                    shop=seller,
                    external_id=order_id,
                    status=status,
                    paid_at=paid_at,
                    amount_fen=amount,
                    quantity=len(lines),
                    items=items,
                    shipment=ShipmentRecord(
                        key=f"{order_id}:{seller}",
                        amount_fen=amount,
                        max_unit_price_fen=max(price for _, _, price, _ in lines),
                        waybill=waybill_for(order_id, seller),
                        shipping_limit_at=min(datetime.fromisoformat(x[1]) for x in lines),
                        picked_up_at=picked,
                    ),
                )
            )
    return out
