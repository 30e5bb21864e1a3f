"""An export's shipments as a DuckDB table for ``lanshou check``: read by the importer's reader.

Nothing is parsed here. The records :func:`~lanshou.imports.stream.read_orders` yields (and, for
a tracking file, the scans :func:`~lanshou.imports.scans.scan_chunks` yields) are spooled to a
canonical typed CSV in a temporary directory and scanned by DuckDB in one statement, so memory
stays bounded and every reading rule (encodings, XLSX, dates, statuses, waybills, rejects) is
the import's. Carriers resolve through the built-in alias table the feeds use; a name nobody
knows leaves the shipment without a carrier, as the import does.

First pickup, as the database judges it: the earliest scan whose status the profile counts as a
pickup, matched to the order on the normalised waybill, and (Olist) the recorded hand-over.
"""

from __future__ import annotations

import csv
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from lanshou.batch import SHIPMENT_COLUMNS, ReadResult, ShipmentReader, quote
from lanshou.domain.money import from_fen
from lanshou.domain.rules.profile import Profile
from lanshou.imports.dates import DateOrder
from lanshou.imports.mapping import Mapping, load_mapping
from lanshou.imports.records import OrderRecord
from lanshou.imports.run import ImportSummary, ReadRun
from lanshou.imports.scans import scan_chunks
from lanshou.imports.sql_orders import sql_orders
from lanshou.imports.sql_scans import sql_pickups
from lanshou.imports.stream import read_orders
from lanshou.orders import CarrierResolver

__all__ = ["export_reader"]

TABLE = "chk_ships"
# The phone tail rides along (not an input of the evaluation): both readers must agree on it.
_SPOOLED = {**SHIPMENT_COLUMNS, "buyer_phone_tail": "VARCHAR", "seq": "BIGINT"}
_SCANS = {"waybill": "VARCHAR", "time": "TIMESTAMPTZ", "status": "VARCHAR"}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _fen(value: int | None) -> str | None:
    return str(from_fen(value)) if value is not None else None


def _row(seq: int, rec: OrderRecord, carriers: CarrierResolver) -> list[object]:
    ship = rec.shipment
    assert ship is not None  # every reader gives each order its shipment
    return [
        ship.key,
        rec.external_id,
        rec.shop,
        _time(rec.paid_at),
        _time(ship.shipped_at),
        _time(rec.exp_ship_time),
        _time(ship.shipping_limit_at),
        _time(ship.picked_up_at),
        _fen(ship.amount_fen),
        rec.quantity,
        _fen(ship.max_unit_price_fen),
        rec.province,
        carriers.code(ship.carrier),
        ship.waybill,
        rec.status,
        rec.buyer_phone_tail,
        seq,
    ]


def _scan_csv(path: Path, columns: dict[str, str]) -> str:
    spec = "{" + ", ".join(f"{quote(c)}: {quote(t)}" for c, t in columns.items()) + "}"
    return (
        f"read_csv({quote(str(path))}, header=false, delim=',', quote='\"', escape='\"', "
        f"columns={spec}, auto_detect=false, new_line='\\n')"
    )


def export_reader(
    source: str,
    orders: Path,
    *,
    items: Path | None = None,
    tracking: Path | None = None,
    mapping: Path | None = None,
    shop: str | None = None,
    date_order: DateOrder | None = None,
    fast: bool = True,
    summary: ImportSummary | None = None,
    locale: str | None = None,
) -> ShipmentReader:
    """The reader `lanshou check` runs: the export as ``import orders`` reads it.

    Plain CSV files are read by DuckDB with the reader's rules in SQL (``sql_orders``,
    ``sql_scans``); the rest, or all with `fast` off, row by row by the Python reader.
    The read's counters go to `summary` when given, so the caller can print the import's
    warnings (``ImportSummary.warnings``). `locale`: the language of the reasons in the
    rejects files (default zh_CN)."""

    def read(con: duckdb.DuckDBPyConnection, profile: Profile) -> ReadResult:
        layout = load_mapping(source, mapping)
        run = ReadRun(
            summary if summary is not None else ImportSummary(source),
            rejections=[],
            locale=locale,
        )
        with tempfile.TemporaryDirectory(prefix="lanshou-check-") as tmp:
            scratch = Path(tmp)
            # The CSV fast path first (DuckDB over the file); the Python reader for the rest.
            read_by: dict[str, str] = {}
            done = (
                fast
                and source != "olist"
                and sql_orders(
                    con,
                    orders,
                    layout,
                    run,
                    tz=profile.tz,
                    shop=shop,
                    date_order=date_order,
                    scratch=scratch,
                )
            )
            read_by[str(orders)] = "sql" if done else "python"
            if not done:
                _spool_orders(
                    con, scratch, source, orders, layout, run, profile, shop, date_order, items
                )
            order_table = done or "chk_orders"
            join, pickups = "", "NULL::TIMESTAMPTZ"
            if tracking is not None:
                statuses = list(profile.pickup_statuses)
                done = fast and sql_pickups(
                    con,
                    tracking,
                    statuses,
                    run,
                    tz=profile.tz,
                    date_order=date_order,
                    scratch=scratch,
                )
                read_by[str(tracking)] = "sql" if done else "python"
                if not done:
                    _spool_pickups(con, scratch, tracking, statuses, run, profile, date_order)
                pickups = "p.first_pickup_at"
                join = f"LEFT JOIN {done or 'chk_pickups'} p ON p.waybill = o.waybill"
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {TABLE} AS
            SELECT o.* EXCLUDE (first_pickup_at, seq, ok),
                   least(o.first_pickup_at, {pickups}) AS first_pickup_at
            FROM {order_table} o {join} WHERE o.ok"""
        )
        return ReadResult(
            TABLE,
            list(run.rejections or []),
            run.summary.orders_without_items,
            run.summary.items_without_orders,
            read_by,
            # The pickups are one row per waybill: the join adds no row to the orders.
            counted=f"(SELECT 1 FROM {order_table} WHERE ok)",
        )

    return read


def _spool_orders(
    con: duckdb.DuckDBPyConnection,
    scratch: Path,
    source: str,
    orders: Path,
    layout: Mapping,
    run: ReadRun,
    profile: Profile,
    shop: str | None,
    date_order: DateOrder | None,
    items: Path | None,
) -> None:
    """The Python reader's records, spooled to a typed CSV and scanned into ``chk_orders``."""
    carriers = CarrierResolver()
    spool = scratch / "shipments.csv"
    with spool.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        seq = 0
        chunks = read_orders(
            source,
            orders,
            layout,
            run,
            tz=profile.tz,
            shop=shop,
            date_order=date_order,
            items=items,
        )
        for records, _ in chunks:
            for rec in records:
                seq += 1
                out.writerow(_row(seq, rec, carriers))
    # A later row of the same order is the import's update of it: the last one counts.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_orders AS SELECT *, true AS ok FROM
        {_scan_csv(spool, _SPOOLED)}
        QUALIFY row_number() OVER (PARTITION BY shop_id, shipment_key ORDER BY seq DESC) = 1"""
    )


def _spool_pickups(
    con: duckdb.DuckDBPyConnection,
    scratch: Path,
    tracking: Path,
    statuses: list[str],
    run: ReadRun,
    profile: Profile,
    date_order: DateOrder | None,
) -> None:
    """The Python reader's scans, spooled and reduced to ``chk_pickups``."""
    scans = scratch / "scans.csv"
    with scans.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        for chunk in scan_chunks(tracking, profile.tz, date_order, run):
            out.writerows([s.waybill, s.time.isoformat(), s.status] for s in chunk)
    listed = ", ".join(quote(s) for s in statuses) or "NULL"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_pickups AS
        SELECT waybill, min(time) AS first_pickup_at
        FROM {_scan_csv(scans, _SCANS)}
        WHERE status IN ({listed}) GROUP BY waybill"""
    )
