"""What `lanshou check` reads: the shipments table its reader fills, and the rows it refused.

The reader itself is the importer's (``lanshou.imports.shipments_table``), one layer up; check
receives it as a :data:`ShipmentReader` so that every reading rule has one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from lanshou.domain.rules.profile import Profile

__all__ = ["SHIPMENT_COLUMNS", "CheckInputError", "ReadResult", "Rejected", "ShipmentReader"]

# The canonical shipments table (evaluate_batch's input) and its DuckDB types.
SHIPMENT_COLUMNS = {
    "shipment_key": "VARCHAR",
    "order_id": "VARCHAR",
    "shop_id": "VARCHAR",
    "paid_at": "TIMESTAMPTZ",
    "shipped_at": "TIMESTAMPTZ",
    "exp_ship_time": "TIMESTAMPTZ",
    "shipping_limit_at": "TIMESTAMPTZ",
    "first_pickup_at": "TIMESTAMPTZ",
    "amount": "DECIMAL(18,2)",
    "quantity": "INTEGER",
    "max_unit_price": "DECIMAL(18,2)",
    "province": "VARCHAR",
    "carrier_code": "VARCHAR",
    "waybill": "VARCHAR",
    "order_status": "VARCHAR",
}


class CheckInputError(Exception):
    """Nothing usable could be read (missing file, wrong header, no valid row)."""

    code = "check_input"


@dataclass(frozen=True)
class Rejected:
    file: str
    row: int  # 1-based, the header counting as row 1
    reason: str


@dataclass
class ReadResult:
    shipments: str  # table name holding the shipments (evaluate_batch's input)
    rejected: list[Rejected] = field(default_factory=list)
    orphan_orders: int = 0  # olist: orders whose items are not in the items file
    orphan_items: int = 0  # olist: items whose order is not in the orders file
    # input file -> "sql" (DuckDB's CSV reader with the rules in SQL) or "python" (row by row)
    read_by: dict[str, str] = field(default_factory=dict)
    # A relation with as many rows as `shipments` and cheaper to count (e.g. without the join
    # of the pickups); None: `shipments` itself is counted.
    counted: str | None = None


# Fills a table of SHIPMENT_COLUMNS in the connection, reading times in the profile's zone.
ShipmentReader = Callable[[duckdb.DuckDBPyConnection, Profile], ReadResult]
