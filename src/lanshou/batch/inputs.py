"""What `lanshou check` reads: the shipments table its reader fills, and the rows it refused.

The reader itself is the importer's (``lanshou.imports.shipments_table``), one layer up; check
receives it as a :data:`ShipmentReader` so that every reading rule has one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from lanshou.domain.rules.profile import Profile
from lanshou.i18n import N_, translate

__all__ = [
    "SHIPMENT_COLUMNS",
    "CheckInputError",
    "NoShipments",
    "ReadResult",
    "Reason",
    "Rejected",
    "ShipmentReader",
]

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

    def text(self, locale: str | None = None) -> str:
        """The message in `locale` (the base class's are English)."""
        return str(self)


@dataclass(frozen=True)
class Reason:
    """Why a row was refused: a stable ``code`` for scripts and spreadsheets, and the words
    for people (an English catalogue key with ``%(name)s`` parameters), translated only when
    shown, so ``check`` and ``import`` word a row alike in either language.

    A parameter may itself be a Reason (the detail of an unreadable time), or a tuple of
    names, listed as the language lists them ('a, b' in English, 'a、b' in Chinese)."""

    code: str
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, msgid: str, **params: object) -> Reason:
        return cls(code, msgid, tuple(params.items()))

    def text(self, locale: str | None = None) -> str:
        values = {k: _shown(v, locale) for k, v in self.params}
        return translate(locale, self.msgid, **values)


def _shown(value: object, locale: str | None) -> object:
    if isinstance(value, Reason):
        return value.text(locale)
    if isinstance(value, tuple):
        # the separator of a list of names: '、' between Chinese words
        return translate(locale, N_(", ")).join(str(v) for v in value)
    return value


@dataclass(frozen=True)
class Rejected:
    file: str
    row: int  # 1-based, the header counting as row 1
    column: str  # the column at fault; "" for the whole row
    reason: Reason

    @property
    def code(self) -> str:
        return self.reason.code

    def text(self, locale: str | None = None) -> str:
        """The column and the reason in words, e.g. ``paid_at：不是有效时间（……）``."""
        reason = self.reason.text(locale)
        if not self.column:
            return reason
        return translate(locale, N_("%(column)s: %(reason)s"), column=self.column, reason=reason)

    def located(self, locale: str | None = None) -> str:
        """The same after the file and row, as ``check`` lists them."""
        return translate(
            locale,
            N_("%(file)s, row %(row)s: %(reason)s"),
            file=self.file,
            row=self.row,
            reason=self.text(locale),
        )


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


class NoShipments(CheckInputError):
    """Every row was refused (or the file had none): the first refused row says why."""

    def __init__(self, rejected: list[Rejected]) -> None:
        self.rejected = rejected
        super().__init__(self.text("en"))

    def text(self, locale: str | None = None) -> str:
        if not self.rejected:
            return translate(locale, N_("no valid shipment could be read"))
        return translate(
            locale,
            N_("no valid shipment could be read; %(count)s row(s) rejected, the first %(first)s"),
            count=len(self.rejected),
            first=self.rejected[0].located(locale),
        )
