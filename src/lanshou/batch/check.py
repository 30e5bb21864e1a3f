"""`lanshou check`: read files, evaluate in DuckDB, summarise (see `result.py`).

The violations stay in DuckDB for `output.py` and `table.py` to stream.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb

from lanshou.batch.engine import evaluate_batch
from lanshou.batch.readers import CheckInputError, read_generic, read_olist
from lanshou.batch.result import CheckResult, summarise
from lanshou.batch.table import render_table
from lanshou.domain.rules import calendar_for, load_profile

__all__ = ["DUCKDB_MEMORY_LIMIT", "CheckInputError", "CheckResult", "render_table", "run_check"]

# DuckDB takes 80 % of the machine's memory by default. Capped, it spills what does not fit to a
# scratch directory instead, so a check of millions of orders stays in bounded memory (measured
# in bench/bench_check.py).
DUCKDB_MEMORY_LIMIT = "160MB"


def _paths(source: str, orders: Path, items: Path | None) -> tuple[Path, Path | None]:
    if source == "olist" and orders.is_dir():
        return orders / "olist_orders_dataset.csv", orders / "olist_order_items_dataset.csv"
    return orders, items


def run_check(
    profile_name: str,
    source: str,
    orders_path: str | Path,
    items_path: str | Path | None,
    tracking_path: str | Path | None,
    now: dt.datetime,
    extra_profile_dirs: tuple[str | Path, ...] = (),
    *,
    memory_limit: str = DUCKDB_MEMORY_LIMIT,
) -> CheckResult:
    """Evaluate order files against a profile; raises CheckInputError if nothing is readable.

    The result holds the DuckDB connection with the violations: close it when written."""
    profile = load_profile(profile_name, extra_profile_dirs)
    tz = profile.tz
    orders, items = _paths(source, Path(orders_path), Path(items_path) if items_path else None)
    for p in (orders, items, Path(tracking_path) if tracking_path else None):
        if p is not None and not p.is_file():
            raise CheckInputError(f"{p}: no such file")
    spill = tempfile.TemporaryDirectory(prefix="lanshou-check-")
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill.name})
    con.execute("SET enable_progress_bar = false")  # ours is drawn only on a terminal
    try:
        if source == "olist":
            if items is None:
                raise CheckInputError("the olist source needs --items (or a directory)")
            read = read_olist(con, profile, orders, items)
        elif source == "generic":
            read = read_generic(
                con, profile, orders, Path(tracking_path) if tracking_path else None
            )
        else:
            raise CheckInputError(f"unknown source {source!r}; use generic or olist")
        row = con.execute(f"SELECT count(*) FROM {read.shipments}").fetchone()
        shipments = int(row[0]) if row else 0
        if shipments == 0:
            raise CheckInputError(f"{orders}: no valid shipment could be read")
        evaluate_batch(con, read.shipments, profile, calendar_for(profile), [], now)
        summary = summarise(con, "lanshou_result", [rule.id for rule in profile.rules], now)
    except BaseException:
        con.close()
        spill.cleanup()
        raise
    return CheckResult(
        profile=profile.name,
        now=now.astimezone(tz),
        shipments=shipments,
        evaluated=summary.evaluated,
        open=summary.open,
        violation_counts=summary.violation_counts,
        violation_rows=summary.violation_rows,
        totals=summary.totals,
        rejected=read.rejected,
        con=con,
        table="lanshou_result",
        spill=spill,
        orphan_orders=read.orphan_orders,
        orphan_items=read.orphan_items,
        rule_labels={r.id: (r.label_zh, r.label_en) for r in profile.rules},
    )
