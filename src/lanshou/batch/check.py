"""`lanshou check`: read files, evaluate in DuckDB, summarise (see `result.py`).

The files are read by the importer's reader (a `ShipmentReader` the caller passes in, see
`lanshou.imports.shipments_table`), so `check` and `import orders` read every export alike.
The violations stay in DuckDB for `output.py` and `table.py` to stream.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence

import duckdb

from lanshou.batch.engine import evaluate_batch, evaluated_count
from lanshou.batch.inputs import CheckInputError, NoShipments, ShipmentReader
from lanshou.batch.result import CheckResult, ident, summarise
from lanshou.batch.table import render_table
from lanshou.domain.rules import Exemption, calendar_for
from lanshou.domain.rules.profile import Profile

__all__ = ["DUCKDB_MEMORY_LIMIT", "CheckInputError", "CheckResult", "render_table", "run_check"]

# DuckDB takes 80 % of the machine's memory by default. Capped, it spills what does not fit to a
# scratch directory instead, so a check of millions of orders stays in bounded memory (measured
# in bench/bench_check.py).
DUCKDB_MEMORY_LIMIT = "160MB"


def _keep_only(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop every view and table of the connection (this check's own) but the result `table`:
    the read files and the engine's inputs give their memory back before the output is
    written, which sorts the violations under the same cap."""
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    for (name,) in views:
        con.execute(f"DROP VIEW {ident(name)}")
    for (name,) in tables:
        if name != table:
            con.execute(f"DROP TABLE {ident(name)}")


def run_check(
    profile: Profile,
    reader: ShipmentReader,
    now: dt.datetime,
    exemptions: Sequence[Exemption] = (),
    *,
    memory_limit: str = DUCKDB_MEMORY_LIMIT,
) -> CheckResult:
    """Evaluate what `reader` reads against a profile; CheckInputError if nothing is readable.

    The result holds the DuckDB connection with the violations: close it when written."""
    spill = tempfile.TemporaryDirectory(prefix="lanshou-check-")
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill.name})
    con.execute("SET enable_progress_bar = false")  # ours is drawn only on a terminal
    try:
        read = reader(con, profile)
        row = con.execute(f"SELECT count(*) FROM {read.counted or read.shipments}").fetchone()
        shipments = int(row[0]) if row else 0
        if shipments == 0:
            raise NoShipments(read.rejected)
        # Only the late and the open outcomes are kept: the summary and the violations need no
        # more, and the on-time majority is never written (a third of the rows at most remain).
        evaluate_batch(
            con,
            read.shipments,
            profile,
            calendar_for(profile),
            exemptions,
            now,
            late_only=True,
            with_open=True,
        )
        rule_ids = [rule.id for rule in profile.rules]
        evaluated = evaluated_count(con, profile)
        summary = summarise(con, "lanshou_result", rule_ids, now, evaluated)
        _keep_only(con, "lanshou_result")
    except BaseException:
        con.close()
        spill.cleanup()
        raise
    return CheckResult(
        profile=profile.name,
        now=now.astimezone(profile.tz),
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
