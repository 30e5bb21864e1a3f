"""One Parquet file per month of tracking events, written through DuckDB and counted back.

The rows come from the database in pages, go to a newline-delimited JSON file beside the
archive (typed on the way in by explicit DuckDB column types: no guessing, NULL stays NULL),
and DuckDB copies them to Parquet. A month archived before (events that came late for a month
already dropped, or a run that stopped between writing and dropping) is merged with its file:
the rows already there are kept and a row is never in it twice (same dedup key and time). The
new file replaces the old one only after its row count is read back and found right.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from lanshou.adapters.db.partitions import Month

# The archived columns and their types: those of tracking_events, raw as JSON text.
COLUMNS = {
    "id": "BIGINT",
    "shipment_id": "BIGINT",
    "carrier_code": "VARCHAR",
    "waybill_no": "VARCHAR",
    "status": "VARCHAR",
    "event_time": "TIMESTAMPTZ",
    "received_at": "TIMESTAMPTZ",
    "location": "VARCHAR",
    "description": "VARCHAR",
    "source": "VARCHAR",
    "dedup_key": "VARCHAR",
    "raw": "VARCHAR",
}


class ArchiveMismatch(Exception):
    """The file written does not hold the rows it should: nothing is dropped."""


@dataclass(frozen=True)
class Written:
    path: Path
    rows: int  # rows in the file now (earlier archive of the month included)
    sha256: str


def archive_path(directory: Path, month: Month) -> Path:
    return directory / f"tracking_events-{month}.parquet"


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def write_month(directory: Path, month: Month, rows: Iterable[dict[str, Any]]) -> Written:
    """Write (or merge into) the month's Parquet file; return it once its count is right.
    ``rows`` holds at least one row (a month without events gets no file)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = archive_path(directory, month)
    staged = final.with_suffix(".ndjson.tmp")
    fresh = final.with_suffix(".parquet.tmp")
    n = 0
    with staged.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({c: _json_value(row[c]) for c in COLUMNS}, ensure_ascii=False))
            out.write("\n")
            n += 1
    try:
        expected = _copy_to_parquet(staged, final if final.exists() else None, fresh, n)
        written = _count(fresh)
        if written != expected:
            raise ArchiveMismatch(f"{fresh} holds {written} rows, {expected} expected")
        digest = _digest_and_sync(fresh)
        os.replace(fresh, final)
    finally:
        staged.unlink(missing_ok=True)
        fresh.unlink(missing_ok=True)
    return Written(final, expected, digest)


def _digest_and_sync(path: Path) -> str:
    """The file's SHA-256 (for the audit record), after it is on disk."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        os.fsync(f.fileno())
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy_to_parquet(staged: Path, earlier: Path | None, out: Path, n: int) -> int:
    """Copy the staged rows (merged with ``earlier``) to ``out``; return the rows it must hold."""
    types = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS.items())
    new = (
        f"SELECT * FROM read_json({_sql_path(staged)}, format = 'newline_delimited', "
        f"columns = {{{types}}})"
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if earlier is None:
            query = new
            expected = n
        else:
            old = f"SELECT * FROM read_parquet({_sql_path(earlier)})"
            query = (
                f"{old} UNION ALL SELECT n.* FROM ({new}) n "
                f"ANTI JOIN ({old}) o USING (dedup_key, event_time)"
            )
            row = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
            expected = int(row[0]) if row else 0
        ordered = f"SELECT * FROM ({query}) ORDER BY event_time, id"
        con.execute(f"COPY ({ordered}) TO {_sql_path(out)} (FORMAT parquet)")
        return expected
    finally:
        con.close()


def _count(path: Path) -> int:
    con = duckdb.connect()
    try:
        row = con.execute(f"SELECT count(*) FROM read_parquet({_sql_path(path)})").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()
