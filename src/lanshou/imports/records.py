"""Turn rows into order records: column lookup, value parsing, grouping rows into orders.

Pure: no database, no files. A bad value raises :class:`RowError` naming the column, and the
caller writes the row to the rejects file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from lanshou.batch import Reason
from lanshou.domain.money import to_fen
from lanshou.i18n import N_
from lanshou.imports.dates import DateOrder, TimeFormatError, parse_time
from lanshou.imports.reading import Cell
from lanshou.imports.wording import invalid

__all__ = [
    "DUPLICATE_ORDER",
    "EMPTY",
    "ColumnIndex",
    "ItemRecord",
    "OrderRecord",
    "RowError",
    "RowReader",
    "ShipmentRecord",
    "row_error",
]


class RowError(ValueError):
    """One bad value in one row: the column ("" for the whole row) and why, as a
    :class:`~lanshou.batch.Reason` (a code, and words translated when shown)."""

    def __init__(self, column: str, reason: Reason) -> None:
        text = reason.text("en")
        super().__init__(f"{column}: {text}" if column else text)
        self.column = column
        self.reason = reason


def row_error(column: str, code: str, msgid: str, **params: object) -> RowError:
    return RowError(column, Reason.of(code, msgid, **params))


EMPTY = N_("is empty")
DUPLICATE_ORDER = N_("duplicate order '%(order)s' (first on row %(first)s)")
_NOT_A_COUNT = N_("'%(value)s' is not a positive integer")


@dataclass
class ItemRecord:
    sku: str
    title: str
    unit_price_fen: int
    quantity: int


@dataclass
class ShipmentRecord:
    key: str
    amount_fen: int
    max_unit_price_fen: int | None = None
    carrier: str | None = None
    waybill: str | None = None
    shipped_at: datetime | None = None
    shipping_limit_at: datetime | None = None
    picked_up_at: datetime | None = None  # Olist: becomes a pickup scan

    @property
    def marked_shipped(self) -> bool:
        return bool(self.carrier and self.waybill and self.shipped_at)


@dataclass
class OrderRecord:
    row: int  # first row of the order in the file
    shop: str
    external_id: str
    status: str
    paid_at: datetime
    amount_fen: int
    quantity: int
    province: str | None = None
    city: str | None = None
    exp_ship_time: datetime | None = None
    items: dict[str, ItemRecord] = field(default_factory=dict)
    shipment: ShipmentRecord | None = None
    # Only the last four digits of the buyer's phone, never the number (see ``phone``).
    buyer_phone_tail: str | None = None
    phone_without_tail: bool = False  # a phone was given, but without four trailing digits


class ColumnIndex:
    """Where each mapped field sits in a header; checks that the required ones are there."""

    def __init__(
        self,
        wanted: dict[str, list[str]],
        header: list[str],
        file: str,
        required: list[str],
    ) -> None:
        self.header = header
        self.file = file
        position = {name: i for i, name in reversed(list(enumerate(header))) if name}
        self.index: dict[str, list[tuple[int, str]]] = {}
        for fld, names in wanted.items():
            found = [(position[n.lower()], n) for n in names if n.strip().lower() in position]
            if found:
                self.index[fld] = found
        missing = [f for f in required if f not in self.index]
        if missing:
            # A field's alternative names as "a/b": read alike in either language.
            expected = tuple("/".join(wanted[f]) for f in required if f in wanted)
            lacking = tuple("/".join(wanted.get(f, [f])) for f in missing)
            present = tuple(h for h in header if h)
            raise invalid(
                "bad_header",
                N_(
                    "%(file)s: the header does not match: expected the columns %(expected)s; "
                    "missing %(missing)s; found %(found)s"
                )
                if present
                else N_(
                    "%(file)s: the header does not match: expected the columns %(expected)s; "
                    "missing %(missing)s; found nothing"
                ),
                file=file,
                expected=expected,
                missing=lacking,
                found=present,
            )

    def has(self, fld: str) -> bool:
        return fld in self.index

    def columns(self, fld: str) -> str:
        return "/".join(n for _, n in self.index.get(fld, [])) or fld


def _text(value: Cell) -> str | None:
    if type(value) is str:  # a CSV cell, by far the most common
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    text = value.strip()
    return text or None


class RowReader:
    """Typed access to one row's mapped fields."""

    def __init__(self, index: ColumnIndex, tz: tzinfo, orders: dict[str, DateOrder | None]) -> None:
        self.index = index
        self.tz = tz
        self.orders = orders  # column name -> day/month order
        self.cells: list[Cell] = []

    def load(self, cells: list[Cell]) -> None:
        width = len(self.index.header)
        if len(cells) == width:  # the usual row: nothing to trim or pad
            self.cells = cells
            return
        extra = cells[width:]
        if any(_text(c) for c in extra):
            raise row_error(
                "",
                "field_count",
                N_("the row has %(cells)s fields, the header has %(width)s"),
                cells=len(cells),
                width=width,
            )
        self.cells = cells[:width] + [None] * (width - len(cells))

    def _first(self, fld: str) -> tuple[Cell, str | None, str]:
        """First non-empty cell of the field's columns, its trimmed text, that column's name."""
        spots = self.index.index.get(fld)
        if not spots:
            return None, None, fld
        cells = self.cells
        for i, name in spots:
            value = cells[i]
            text = _text(value)
            if text is not None:
                return value, text, name
        return None, None, spots[0][1]

    def raw(self, fld: str) -> tuple[Cell, str]:
        """First non-empty cell of the field's columns, and that column's name."""
        value, _, column = self._first(fld)
        return value, column

    def text(self, fld: str, limit: int, *, required: bool = False) -> str | None:
        _value, text, column = self._first(fld)
        if text is None:
            if required:
                raise row_error(column, "empty", EMPTY)
            return None
        if len(text) > limit:
            raise row_error(
                column, "too_long", N_("is longer than %(limit)s characters"), limit=limit
            )
        return text

    def time(self, fld: str, *, required: bool = False) -> datetime | None:
        value, column = self.raw(fld)
        try:
            parsed = parse_time(value, self.tz, self.orders.get(column))
        except TimeFormatError as exc:
            raise row_error(
                column, "bad_time", N_("is not a time (%(detail)s)"), detail=exc.reason
            ) from exc
        if parsed is None and required:
            raise row_error(column, "empty", EMPTY)
        return parsed

    def money(self, fld: str, *, required: bool = False) -> int | None:
        _value, text, column = self._first(fld)
        if text is None:
            if required:
                raise row_error(column, "empty", EMPTY)
            return None
        cleaned = text.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "")
        try:
            amount = Decimal(cleaned.strip())
        except InvalidOperation as exc:
            raise row_error(
                column, "bad_amount", N_("'%(value)s' is not an amount"), value=text
            ) from exc
        if not amount.is_finite() or amount < 0:
            raise row_error(
                column, "bad_amount", N_("'%(value)s' is not a non-negative amount"), value=text
            )
        return to_fen(amount)

    def count(self, fld: str) -> int | None:
        _value, text, column = self._first(fld)
        if text is None:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise row_error(column, "bad_count", _NOT_A_COUNT, value=text) from exc
        if number != number.to_integral_value() or number < 1 or number > 1_000_000:
            raise row_error(column, "bad_count", _NOT_A_COUNT, value=text)
        return int(number)
