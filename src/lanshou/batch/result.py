"""What `lanshou check` found: the summary, computed by DuckDB aggregates, and the violations,
left in DuckDB so that every output format streams them instead of building Python objects.

Summary semantics: `shipments` = shipments formed from the files; `evaluated` = those whose
order status is judged; `violations` = per rule, late and not exempt; `open` = shipments with
a rule still unsatisfied whose deadline has not passed. The violations hold every late rule
outcome, exempted ones included (flagged `exempt`, no money).

The violation columns are named once, in `VIOLATION_COLUMNS`; everything else (JSON, files,
money totals) follows them by name and DuckDB type, so a column added there reaches every format.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

import duckdb

from lanshou.batch.inputs import Rejected

__all__ = [
    "VIOLATION_COLUMNS",
    "VIOLATION_ORDER",
    "CheckResult",
    "Summary",
    "ident",
    "money_columns",
    "summarise",
]

# The columns of one violation, in the order of the documented JSON shape.
VIOLATION_COLUMNS = (
    "order_id",
    "shipment_key",
    "shop_id",
    "rule",
    "started_at",
    "deadline",
    "satisfied_at",
    "compensation",
    "fine",
    "auto_refund",
    "exempt",
)
# The order fines are allocated in (engine.py), so a listing reads like the ledger.
VIOLATION_ORDER = ("deadline", "shipment_key", "shop_id", "rule")


@dataclass
class CheckResult:
    """The summary of a check and the DuckDB connection that still holds its violations.

    Close it (or use it as a context manager) once the violations have been written.
    """

    profile: str
    now: dt.datetime
    shipments: int
    evaluated: int
    open: int
    violation_counts: dict[str, int]
    violation_rows: int  # rows of `violations()`: violations plus exempted late outcomes
    totals: dict[str, Decimal]  # money column -> sum over the violations
    rejected: list[Rejected]
    con: duckdb.DuckDBPyConnection
    table: str  # the engine's result table in `con`
    orphan_orders: int = 0
    orphan_items: int = 0
    rule_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    spill: tempfile.TemporaryDirectory[str] | None = None  # DuckDB's scratch space, if any

    @property
    def tz(self) -> ZoneInfo:
        assert isinstance(self.now.tzinfo, ZoneInfo)
        return self.now.tzinfo

    @property
    def compensation_total(self) -> Decimal:
        return self.totals["compensation"]

    @property
    def fine_total(self) -> Decimal:
        return self.totals["fine"]

    @property
    def auto_refund_total(self) -> Decimal:
        return self.totals["auto_refund"]

    def violations_sql(self, select: str = "v.*") -> str:
        """A query of `select` over the violations `v` (typed as the engine left them), in
        `VIOLATION_ORDER`; `select` may rename and re-render the columns under their names."""
        cols = ", ".join(VIOLATION_COLUMNS)
        order = ", ".join(f"v.{c}" for c in VIOLATION_ORDER)
        return (
            f"SELECT {select} FROM (SELECT {cols} FROM {self.table} WHERE late) v ORDER BY {order}"
        )

    def violations(self) -> duckdb.DuckDBPyRelation:
        return self.con.sql(self.violations_sql())

    def summary_json(self) -> dict[str, Any]:
        """The `summary` object of the JSON shape."""
        return {
            "shipments": self.shipments,
            "evaluated": self.evaluated,
            "violations": dict(self.violation_counts),
            "open": self.open,
            **{f"{name}_total": f"{total:.2f}" for name, total in self.totals.items()},
        }

    def to_json_dict(self, locale: str | None = None) -> dict[str, Any]:
        """The whole `lanshou check --json` object in memory: for small results and tests."""
        from lanshou.batch.output import write_json

        buffer = io.StringIO()
        write_json(self, buffer, locale=locale)
        data: dict[str, Any] = json.loads(buffer.getvalue())
        return data

    def close(self) -> None:
        self.con.close()
        if self.spill is not None:
            self.spill.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def money_columns(rel: duckdb.DuckDBPyRelation) -> list[str]:
    """The DECIMAL columns of a relation: the money a check sums up."""
    return [c for c, t in zip(rel.columns, rel.types, strict=True) if t.id == "decimal"]


@dataclass(frozen=True)
class Summary:
    evaluated: int
    open: int
    violation_counts: dict[str, int]
    violation_rows: int
    totals: dict[str, Decimal]


def summarise(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rule_ids: list[str],
    now: dt.datetime,
    evaluated: int | None = None,
) -> Summary:
    """The summary of the engine's result `table`, by DuckDB aggregates (see the docstring).

    `evaluated`, when the caller knows it, stands for the count of distinct shipments in
    `table`: a table of only the late and open outcomes does not hold every evaluated one."""
    # The distinct shipments of the whole table are counted only when the caller does not
    # know them (a hash of every row: a second of CPU on millions).
    everyone = "NULL" if evaluated is not None else "count(DISTINCT (shop_id, shipment_key))"
    row = con.execute(
        f"""SELECT {everyone},
                   count(DISTINCT (shop_id, shipment_key)) FILTER (WHERE deadline IS NOT NULL
                       AND satisfied_at IS NULL AND deadline >= ?)
            FROM {table}""",
        [now],
    ).fetchone()
    open_ = int(row[1]) if row else 0
    if evaluated is None:
        evaluated = int(row[0]) if row else 0
    per_rule = dict(
        con.execute(
            f"SELECT rule, count(*) FROM {table} WHERE late AND NOT exempt GROUP BY rule"
        ).fetchall()
    )
    counts = {rule: int(per_rule.get(rule, 0)) for rule in rule_ids}
    cols = ", ".join(VIOLATION_COLUMNS)
    money = money_columns(con.sql(f"SELECT {cols} FROM {table} LIMIT 0"))
    sums = "".join(f", CAST(coalesce(sum({ident(c)}), 0) AS DECIMAL(38,2))" for c in money)
    totals_row = con.execute(f"SELECT count(*){sums} FROM {table} WHERE late").fetchone()
    assert totals_row is not None
    totals = {c: Decimal(totals_row[i + 1]) for i, c in enumerate(money)}
    return Summary(evaluated, open_, counts, int(totals_row[0]), totals)


def ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
