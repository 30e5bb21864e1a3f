"""Mapping files: which column of a source's export holds which of lanshou's order fields.

Built-in mappings live in ``lanshou/mappings/*.yaml`` (generic, douyin, olist); users copy one
and pass ``--mapping FILE.yaml``. A mapping is validated when it is loaded; every error names
the file, the key and the reason.
"""

from __future__ import annotations

from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from lanshou.domain.rules.loader import format_loc
from lanshou.errors import InvalidInput

__all__ = ["FIELDS", "GENERIC_HEADER", "ITEM_FIELDS", "TIME_FIELDS", "Mapping", "load_mapping"]

# The header of a generic export, in the order generic.yaml documents it: each is a column of
# the generic layout (the optional `city` and `exp_ship_time` are left to who writes them).
GENERIC_HEADER = (
    "order_id",
    "shop_id",
    "paid_at",
    "amount",
    "quantity",
    "province",
    "status",
    "shipped_at",
    "carrier",
    "waybill",
)

# lanshou field -> what it is (for documentation and error messages)
FIELDS = {
    "order_id": "the order's number in the shop (required)",
    "shop": "the shop code (or pass --shop)",
    "paid_at": "when the buyer paid (required)",
    "amount": "amount paid, in yuan (required)",
    "quantity": "number of pieces",
    "province": "buyer's province",
    "city": "buyer's city",
    "status": "order status (translated by status_values)",
    "shipped_at": "when the order was marked shipped",
    "carrier": "carrier code or name (顺丰, SF …)",
    "waybill": "waybill number",
    "exp_ship_time": "the platform's ship-by deadline",
    "buyer_phone": "buyer's phone; only its last 4 digits are kept (masked 138****1234 works)",
    "shipping_limit_at": "hand-over deadline of the shipment (Olist)",
    "picked_up_at": "when the carrier took the parcel (Olist: a pickup scan)",
    "seller": "the seller of an item (Olist: the shop)",
    "item_sku": "item SKU / product id",
    "item_title": "item title",
    "item_unit_price": "item unit price, in yuan",
    "item_quantity": "item quantity",
    "item_freight": "item freight, in yuan (added to the amount)",
}
TIME_FIELDS = frozenset(
    {"paid_at", "shipped_at", "exp_ship_time", "shipping_limit_at", "picked_up_at"}
)
ITEM_FIELDS = frozenset(f for f in FIELDS if f.startswith("item_"))
ORDER_STATUSES = (
    "pending",
    "paid",
    "shipped",
    "completed",
    "cancelled",
    "canceled",
    "unavailable",
    "delivered",
    "invoiced",
    "processing",
    "created",
    "approved",
)

Columns = str | list[str]


class Mapping(BaseModel):
    """One source's layout. Column names match case-insensitively, surrounding blanks ignored."""

    model_config = ConfigDict(extra="forbid")

    source: str
    description: str = ""
    platform: str = Field(description="platform code of the shops created by an import")
    # Rows sharing an order_id are the items of one order (抖店 子订单); otherwise a repeated
    # order_id is a rejected row.
    multi_row: bool = False
    amount_scope: Literal["order", "item"] = "order"
    columns: dict[str, Columns]
    # Olist only: the items file's columns.
    item_columns: dict[str, Columns] = Field(default_factory=dict)
    status_values: dict[str, str] = Field(default_factory=dict)
    default_status: str = "paid"

    @field_validator("columns", "item_columns")
    @classmethod
    def _known_fields(cls, value: dict[str, Columns]) -> dict[str, Columns]:
        for key, cols in value.items():
            if key not in FIELDS:
                raise ValueError(f"unknown field {key!r}; known: {', '.join(FIELDS)}")
            names = [cols] if isinstance(cols, str) else cols
            if not names or any(not isinstance(n, str) or not n.strip() for n in names):
                raise ValueError(f"{key}: give a column name or a list of column names")
        return value

    @field_validator("columns")
    @classmethod
    def _required(cls, value: dict[str, Columns]) -> dict[str, Columns]:
        missing = [f for f in ("order_id", "paid_at") if f not in value]
        if missing:
            raise ValueError(f"required field(s) missing: {', '.join(missing)}")
        return value

    def names(self, field: str, *, items: bool = False) -> list[str]:
        cols = (self.item_columns if items else self.columns).get(field)
        if cols is None:
            return []
        return [cols] if isinstance(cols, str) else list(cols)

    @field_validator("status_values")
    @classmethod
    def _known_statuses(cls, value: dict[str, str]) -> dict[str, str]:
        for raw, status in value.items():
            if status not in ORDER_STATUSES:
                raise ValueError(
                    f"{raw}: {status!r} is not an order status; known: {', '.join(ORDER_STATUSES)}"
                )
        return value

    def status(self, raw: str | None, shipped: bool) -> str | None:
        """lanshou's order status for a raw value, None for a word the mapping does not know.

        ``status_values`` first (case-insensitively), then lanshou's own words as they are;
        an unknown word is the caller's reject, never a guess: it decides whether a row is judged.
        """
        if raw is None or not raw.strip():
            return "shipped" if shipped else self.default_status
        text = raw.strip()
        found = self.status_values.get(text)
        if found is None:
            folded = text.casefold()
            found = self.folded_statuses.get(folded)
            if found is None and folded in ORDER_STATUSES:
                found = folded
        return found

    @cached_property
    def folded_statuses(self) -> dict[str, str]:
        """``status_values`` by case-folded word. status() runs once per row, so the look-up is
        built once; a cached property, since pydantic's private attributes cost a few µs a read."""
        return {k.casefold(): v for k, v in self.status_values.items()}


def parse_mapping(text: str, file: str) -> Mapping:
    """Validate one mapping document; errors name `file`, the key and the reason."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{file}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{file}: <root>: a mapping document must be a YAML mapping")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{format_loc(err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise InvalidInput(f"{file}: {problems}") from exc


def load_mapping(source: str, path: Path | None = None) -> Mapping:
    """The mapping in `path`, or the built-in one for `source`."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot read the mapping ({exc.strerror})") from exc
        return parse_mapping(text, str(path))
    entry = resources.files("lanshou.mappings").joinpath(f"{source}.yaml")
    if not entry.is_file():
        raise InvalidInput(f"unknown source {source!r}; use generic, douyin or olist")
    return parse_mapping(entry.read_text(encoding="utf-8"), str(entry))
