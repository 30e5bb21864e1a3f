"""Write a check's violations without holding them in Python: DuckDB renders and writes them.

`--json` streams the documented object to a text stream, its violations fetched from DuckDB in
chunks as ready-made JSON text; `--out FILE` writes `.jsonl`, `.csv` or `.parquet` with DuckDB's
own `COPY`, and `.xlsx` with openpyxl's write-only (streaming) workbook, capped at the sheet's
row limit. Text formats show times in the profile's zone with their offset (as `isoformat`
does) and money as text with two decimals, exactly like the JSON; Parquet keeps DuckDB's types;
the sheet holds local times and numbers a spreadsheet can compute with.

Columns are taken by name and DuckDB type from `CheckResult.violations()`, never listed here.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lanshou.batch.result import CheckResult, ident
from lanshou.batch.rule_sql import quote

__all__ = [
    "FORMATS",
    "XLSX_MAX_ROWS",
    "FileWritten",
    "output_format",
    "write_file",
    "write_json",
]

FORMATS = ("jsonl", "csv", "parquet", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # 1,048,576 rows per sheet, one of them the header
CHUNK = 20_000  # rows fetched from DuckDB at a time
_BLOCK = 1 << 20  # characters of the JSON lines copied at a time
_TIMESTAMPTZ = "timestamp with time zone"

Advance = Callable[[int], None]


def _ignore(_rows: int) -> None:
    return None


@dataclass(frozen=True)
class FileWritten:
    path: Path
    rows: int
    left_out: int  # rows a format's limit kept out of the file (xlsx only)


def output_format(path: Path) -> str | None:
    """The format `--out` writes for `path` (by its suffix), None if there is none."""
    suffix = path.suffix.lower().removeprefix(".")
    return suffix if suffix in FORMATS else None


def _iso_local(col: str, offset: int | None = None) -> str:
    """SQL rendering a TIMESTAMPTZ like Python's `astimezone(tz).isoformat()`, tz being the
    connection's TimeZone (see `_in_zone`). strftime's `%z` writes `+08` for a whole hour and
    `+05:30` otherwise; isoformat always has the minutes.

    With `offset` (the zone's UTC offset in seconds, the same at every instant rendered: see
    `_fixed_offset`) the wall-clock time is the instant shifted by it, a plain TIMESTAMP that
    strftime writes without the zone look-up per value, and the offset is a constant suffix."""
    if offset is not None:
        shifted = f"make_timestamp(epoch_us({col}) + {offset * 1_000_000})"
        text = (
            f"CASE WHEN epoch_us({col}) % 1000000 = 0 "
            f"THEN strftime({shifted}, '%Y-%m-%dT%H:%M:%S') "
            f"ELSE strftime({shifted}, '%Y-%m-%dT%H:%M:%S.%f') END"
        )
        return f"{text} || {quote(_offset_text(offset))}"
    text = (
        f"CASE WHEN epoch_us({col}) % 1000000 = 0 THEN strftime({col}, '%Y-%m-%dT%H:%M:%S%z')"
        f" ELSE strftime({col}, '%Y-%m-%dT%H:%M:%S.%f%z') END"
    )
    return f"CASE WHEN substr({text}, -3, 1) IN ('+', '-') THEN {text} || ':00' ELSE {text} END"


def _offset_text(offset: int) -> str:
    """`+08:00` for 28,800 s, as `isoformat` writes a whole-minute offset."""
    zone = dt.timezone(dt.timedelta(seconds=offset))
    return dt.datetime(2000, 1, 1, tzinfo=zone).isoformat()[-6:]


_STEP = dt.timedelta(hours=6)  # no zone changes its offset for less than that
_MAX_SPAN = dt.timedelta(days=3660)


def _fixed_offset(result: CheckResult, columns: list[str]) -> int | None:
    """The profile zone's UTC offset in seconds if it is the same at every instant of the
    violations' time `columns` (whole minutes), else None (each value then has its own)."""
    if not columns:
        return None
    low = ", ".join(f"min(v.{ident(c)})" for c in columns)
    high = ", ".join(f"max(v.{ident(c)})" for c in columns)
    row = result.con.execute(
        f"SELECT least({low}), greatest({high}) FROM {result.table} v WHERE v.late"
    ).fetchone()
    tz = result.tz
    if row is None or row[0] is None:
        return None
    first, last = row[0] - _STEP, row[1] + _STEP
    if last - first > _MAX_SPAN:
        return None
    offsets = set()
    at = first
    while at <= last + _STEP:
        offset = at.astimezone(tz).utcoffset()
        offsets.add(offset.total_seconds() if offset is not None else None)
        at += _STEP
    if len(offsets) != 1:
        return None
    (seconds,) = offsets
    if seconds is None or seconds % 60:
        return None
    return int(seconds)


def _in_zone(result: CheckResult) -> None:
    """Times rendered and fetched from here on are in the profile's zone."""
    result.con.execute(f"SET TimeZone = {quote(result.tz.key)}")


def _rendered(result: CheckResult, render: Callable[[str, str], str]) -> list[tuple[str, str]]:
    """(column, `render(quoted column, DuckDB type id)`) for each column of the violations."""
    rel = result.violations()
    return [(c, render(f"v.{ident(c)}", t.id)) for c, t in zip(rel.columns, rel.types, strict=True)]


def _as_text(result: CheckResult) -> list[tuple[str, str]]:
    """The violations as the JSON shape writes them: ISO local times, money as text."""
    _in_zone(result)
    rel = result.violations()
    times = [c for c, t in zip(rel.columns, rel.types, strict=True) if t.id == _TIMESTAMPTZ]
    offset = _fixed_offset(result, times)

    def render(col: str, type_id: str) -> str:
        if type_id == _TIMESTAMPTZ:
            return _iso_local(col, offset)
        if type_id == "decimal":
            return f"CAST({col} AS VARCHAR)"
        return col

    return _rendered(result, render)


def _as_sheet(result: CheckResult) -> list[tuple[str, str]]:
    """The violations for a spreadsheet: local wall-clock times (a sheet has no zones)."""
    tz = result.tz.key

    def render(col: str, type_id: str) -> str:
        if type_id == _TIMESTAMPTZ:
            return f"timezone({quote(tz)}, {col})"
        return col

    return _rendered(result, render)


def _select(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{expr} AS {ident(name)}" for name, expr in columns)


def write_json(
    result: CheckResult, out: TextIO, advance: Advance = _ignore, locale: str | None = None
) -> None:
    """The `--json` object, keys in their documented order, violations written as they come;
    each refused row's ``code`` is stable, its ``reason`` in `locale` (default zh_CN).

    DuckDB renders and writes the violations (one JSON object a line, in order) to a scratch
    file; that file is copied into the object in blocks, each line break becoming the array's
    separator, so no violation passes through Python as an object or a string of its own."""
    head = {"profile": result.profile, "now": result.now.isoformat()}
    text = json.dumps({**head, "summary": result.summary_json()}, ensure_ascii=False, indent=2)
    out.write(text.removesuffix("\n}") + ',\n  "violations": [')
    with tempfile.TemporaryDirectory(prefix="lanshou-json-", dir=_scratch(result)) as tmp:
        lines = Path(tmp) / "violations.jsonl"
        query = result.violations_sql(_select(_as_text(result)))
        # One thread: each writer thread holds blocks of 32 MB, and two of them with the
        # sort's own pages do not fit under the memory cap (`check.DUCKDB_MEMORY_LIMIT`).
        threads = result.con.execute("SELECT current_setting('threads')").fetchone()
        result.con.execute("SET threads = 1")
        try:
            result.con.execute(f"COPY ({query}) TO {quote(str(lines))} (FORMAT json)")
        finally:
            result.con.execute(f"SET threads = {int(threads[0]) if threads else 1}")
        written = _copy_lines(lines, out, advance)
    out.write("\n  ],\n" if written else "],\n")
    rejected = [
        {"file": r.file, "row": r.row, "column": r.column, "code": r.code, "reason": r.text(locale)}
        for r in result.rejected
    ]
    body = json.dumps(rejected, ensure_ascii=False, indent=2).replace("\n", "\n  ")
    out.write(f'  "rejected": {body}\n}}\n')


def _scratch(result: CheckResult) -> str | None:
    """The check's own scratch directory (DuckDB spills there too), else the system's."""
    return result.spill.name if result.spill is not None else None


def _copy_lines(lines: Path, out: TextIO, advance: Advance) -> int:
    """Write the lines of `lines` as the items of an indented JSON array; their count.

    Each block is written but for its last character, held back until the next block: the
    file's final line break must not become a separator."""
    count, held = 0, ""
    with lines.open(encoding="utf-8", newline="") as fh:
        while block := fh.read(_BLOCK):
            if not held:
                out.write("\n    ")  # the first block: the array's first item
            text = held + block
            body, held = text[:-1], text[-1]
            out.write(body.replace("\n", ",\n    "))
            rows = block.count("\n")
            count += rows
            advance(rows)
    return count


def write_file(
    result: CheckResult,
    path: Path,
    advance: Advance = _ignore,
    xlsx_max_rows: int = XLSX_MAX_ROWS,
) -> FileWritten:
    """Write the violations to `path` in the format of its suffix (see `output_format`)."""
    fmt = output_format(path)
    if fmt == "xlsx":
        return _write_xlsx(result, path, advance, xlsx_max_rows)
    if fmt == "parquet":
        query, options = result.violations_sql(), "FORMAT parquet"
    elif fmt == "csv":
        query, options = result.violations_sql(_select(_as_text(result))), "FORMAT csv, HEADER true"
    elif fmt == "jsonl":
        query, options = result.violations_sql(_select(_as_text(result))), "FORMAT json"
    else:
        raise ValueError(f"{path}: no output format for this suffix")
    result.con.execute(f"COPY ({query}) TO {quote(str(path))} ({options})")
    advance(result.violation_rows)
    return FileWritten(path, result.violation_rows, 0)


def _write_xlsx(result: CheckResult, path: Path, advance: Advance, max_rows: int) -> FileWritten:
    from openpyxl import Workbook  # only for a sheet: a third of a second of start-up

    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet("violations")
    query = result.violations_sql(_select(_as_sheet(result)))
    cur = result.con.execute(f"{query} LIMIT {int(max_rows)}")
    sheet.append([d[0] for d in cur.description or ()])
    written = 0
    while rows := cur.fetchmany(CHUNK):
        for row in rows:
            sheet.append(row)
        written += len(rows)
        advance(len(rows))
    workbook.save(path)
    return FileWritten(path, written, result.violation_rows - written)
