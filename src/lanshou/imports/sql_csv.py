"""A plain CSV file made ready for DuckDB's reader, with the Python reader's row numbers.

The fast path of ``lanshou check`` reads a CSV with ``read_csv`` (every column as text) and
applies the reader's rules in SQL. It is taken only when it numbers rows exactly as
:class:`~lanshou.imports.reading.TableFile` does: one record per line (no quoted line breaks,
no empty lines inside), checked by counting the lines. GBK/GB18030 text is first copied as
UTF-8 in a streaming pass (DuckDB reads UTF-8 only). Anything else returns None and the file
goes through the Python reader whole.

Rejected rows are worded by the Python reader itself: SQL decides which rows are refused, the
row's cells are handed to the same code ``import`` runs, and its ``RowError`` (column and
message) is what the rejects file and ``check`` print. If that code accepts a row SQL refused,
the two disagree and the file goes through the Python reader instead.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lanshou.batch import quote
from lanshou.imports.reading import Cell, TableFile, open_table
from lanshou.imports.records import RowError, RowReader
from lanshou.imports.rejects import RejectsFile, rejects_path
from lanshou.imports.run import ReadRun
from lanshou.imports.sql_time import blank_sql

__all__ = ["SqlCsv", "prepare_csv", "reject_rows"]

_BLOCK = 1 << 20


@dataclass
class SqlCsv:
    table: TableFile  # the input as the Python reader describes it (path, header)
    data: Path  # the file DuckDB reads: the input, or its UTF-8 copy
    lines: int  # lines holding records, the header's included

    def cell(self, i: int) -> str:
        return f"c{i}"

    def rows(self) -> str:
        """Every record after the header with its row number (the header is row 1) and
        ``blank`` (every cell empty: a row the Python reader skips)."""
        width = len(self.table.header)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        # The first cell is rarely blank: the others are looked at only when it is.
        blank = " AND ".join(blank_sql(self.cell(i)) for i in range(1, width)) or "true"
        blank = f"CASE WHEN NOT {blank_sql(self.cell(0))} THEN false ELSE {blank} END"
        source = (
            f"read_csv({quote(str(self.data))}, header=false, skip=1, delim=',', quote='\"', "
            f"escape='\"', columns={columns}, auto_detect=false, null_padding=true)"
        )
        numbered = f"SELECT row_number() OVER () + 1 AS line, * FROM {source}"
        return f"SELECT *, {blank} AS blank FROM ({numbered})"


def prepare_csv(path: Path, scratch: Path) -> SqlCsv | None:
    """The CSV at `path` ready for DuckDB, or None when only the Python reader can read it.

    Missing, binary or UTF-16 files raise the reader's own errors (``open_table``)."""
    table = open_table(path)
    if table.kind != "csv":
        return None
    rejects_path(path).unlink(missing_ok=True)  # as RejectsFile does: describe this run only
    encoding = table.encoding or "utf-8"
    data = path
    lines = _count_lines(path, encoding) if encoding != "gb18030" else None
    if lines is None:  # GBK/GB18030 text, or UTF-8 at the head only (as the reader switches)
        encoding, data = "gb18030", scratch / f"{path.stem}.utf8.csv"
        lines = _count_lines(path, encoding, copy_to=data)
        if lines is None:
            return None
    table.encoding = encoding
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip() or first.count('"') % 2:  # no header, or a header over several lines
        return None
    header = next(csv.reader([first]))
    table.header = [h.replace("\ufeff", "").strip().lower() for h in header]
    return SqlCsv(table, data, lines)


def _count_lines(path: Path, encoding: str, copy_to: Path | None = None) -> int | None:
    """Lines up to the last non-empty one, decoding strictly (and copying as UTF-8); None if
    the text is not in `encoding` or lines end in a lone CR."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    count = trailing = 0
    out = copy_to.open("w", encoding="utf-8", newline="") if copy_to is not None else None
    try:
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK):
                text = decoder.decode(block)
                if out is not None:
                    out.write(text)
                count += text.count("\n")
                stripped = text.rstrip("\r\n")
                if stripped:
                    trailing = text[len(stripped) :].count("\n")
                else:
                    trailing += text.count("\n")
            tail = decoder.decode(b"", final=True)
            if out is not None:
                out.write(tail)
    except UnicodeDecodeError:
        return None
    finally:
        if out is not None:
            out.close()
    # Lines ending in a lone CR count as one here and as many in DuckDB: the caller's
    # comparison of the two counts sends such a file to the Python reader.
    return count - trailing + 1


RowCheck = Callable[[RowReader], object]


def reject_rows(
    con: duckdb.DuckDBPyConnection,
    source: SqlCsv,
    refused: str,
    reader: RowReader,
    check: RowCheck,
    run: ReadRun,
) -> bool:
    """Word the rows `refused` (a query of row numbers) with the Python reader's `check` and
    write them as rejects; False (nothing written) if `check` accepts one of them."""
    width = len(source.table.header)
    cells_sql = ", ".join(source.cell(i) for i in range(width))
    rows = con.execute(
        f"SELECT line, {cells_sql} FROM ({source.rows()}) WHERE line IN ({refused}) ORDER BY line"
    ).fetchall()
    worded: list[tuple[int, RowError, list[Cell]]] = []
    for line, *values in rows:
        cells: list[Cell] = [v if v is not None else "" for v in values]
        try:
            reader.load(cells)
            check(reader)
        except RowError as exc:
            worded.append((int(line), exc, cells))
            continue
        return False
    rejects = RejectsFile(source.table.path)
    try:
        for line, exc, cells in worded:
            run.reject(rejects, source.table, line, exc, cells)
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)
    return True
