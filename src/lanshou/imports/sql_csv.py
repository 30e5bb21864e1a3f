"""A plain CSV file made ready for DuckDB's reader, with the Python reader's row numbers.

The fast path of ``lanshou check`` reads a CSV with ``read_csv`` (every column as text) and
applies the reader's rules in SQL. It is taken only when it numbers rows exactly as
:class:`~lanshou.imports.reading.TableFile` does: one record per line (no quoted line breaks,
no empty lines inside), checked by counting the lines. GBK/GB18030 text is first copied as
UTF-8 in a streaming pass (DuckDB reads UTF-8 only). Anything else returns None and the file
goes through the Python reader whole.

Rejected rows are worded by the Python reader itself: SQL decides which rows are refused, the
row's cells are handed to the same code ``import`` runs, and its ``RowError`` (the column and
a ``Reason``: a stable code, and words translated only when shown) is what the rejects file
and ``check`` print. If that code accepts a row SQL refused,
the two disagree and the file goes through the Python reader instead.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import AnyStr

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

    def cell(self, i: int) -> str:
        return f"c{i}"

    def rows(self) -> str:
        """Every record after the header with its row number (the header is row 1) and
        ``blank`` (every cell empty: a row the Python reader skips).

        ``null_padding`` makes DuckDB refuse a quoted line break (an error: the Python reader
        takes the file), and :func:`prepare_csv` made sure no empty line shifts the numbers."""
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
    plain = _plain_lines(path, encoding) if encoding != "gb18030" else None
    if plain is None:  # GBK/GB18030 text, or UTF-8 at the head only (as the reader switches)
        encoding, data = "gb18030", scratch / f"{path.stem}.utf8.csv"
        plain = _plain_lines(path, encoding, copy_to=data)
    if not plain:
        return None
    table.encoding = encoding
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip() or first.count('"') % 2:  # no header, or a header over several lines
        return None
    header = next(csv.reader([first]))
    table.header = [h.replace("\ufeff", "").strip().lower() for h in header]
    return SqlCsv(table, data)


def _plain_lines(path: Path, encoding: str, copy_to: Path | None = None) -> bool | None:
    """Whether DuckDB numbers the rows as the Python reader does: no empty line before the
    last record (DuckDB skips it, Python counts it) and no lone CR.

    UTF-8 is looked at as bytes (DuckDB refuses invalid UTF-8 itself, and the file then goes to
    the Python reader); other text is decoded strictly and copied as UTF-8 to `copy_to`. None if
    the text is not in `encoding`."""
    if copy_to is None:
        with path.open("rb") as fh:
            return _lines_ok(iter(lambda: fh.read(_BLOCK), b""), b"\n", b"\r")
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as fh, copy_to.open("w", encoding="utf-8", newline="") as out:

            def blocks() -> Iterator[str]:
                while block := fh.read(_BLOCK):
                    text = decoder.decode(block)
                    out.write(text)
                    yield text
                tail = decoder.decode(b"", final=True)
                out.write(tail)
                yield tail

            return _lines_ok(blocks(), "\n", "\r")
    except UnicodeDecodeError:
        return None


def _lines_ok(blocks: Iterable[AnyStr], lf: AnyStr, cr: AnyStr) -> bool:
    """No record after an empty line, and every CR followed by LF, over consecutive blocks."""
    tail = lf[:0]
    empty_line, crs, crlfs = False, 0, 0
    ends = cr + lf
    for text in blocks:
        window = tail + text
        if empty_line and text.strip(ends):
            return False  # a record after an empty line
        found = [i for i in (window.find(lf + lf), window.find(lf + cr + lf)) if i >= 0]
        if found:
            if window[min(found) :].strip(ends):
                return False
            empty_line = True
        crs += text.count(cr)
        crlfs += window.count(cr + lf) - tail.count(cr + lf)
        tail = window[-2:]
    return crs == crlfs


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
    lines = sorted(
        int(line) for (line,) in con.execute(f"SELECT DISTINCT * FROM ({refused})").fetchall()
    )
    if not lines:
        return True  # no second look at the file
    as_written = _rows_as_written(source.table, lines)
    worded: list[tuple[int, RowError, list[Cell]]] = []
    for line in lines:
        cells = as_written.get(line)
        if cells is None:
            return False  # not a row the Python reader reads: it takes the file
        try:
            reader.load(cells)
            check(reader)
        except RowError as exc:
            worded.append((line, exc, cells))
            continue
        return False
    rejects = RejectsFile(source.table.path)
    try:
        for line, error, cells in worded:
            run.reject(rejects, source.table, line, error, cells)
    finally:
        done = rejects.close()
        if done is not None:
            run.summary.rejects_files.append(done)
    return True


def _rows_as_written(table: TableFile, lines: list[int]) -> dict[int, list[Cell]]:
    """The cells of rows `lines` as the Python reader reads them from the file: a short row
    stays short in the rejects file (DuckDB's reader pads it with empty cells)."""
    wanted, last = set(lines), lines[-1]
    found: dict[int, list[Cell]] = {}
    rows = table.rows()
    try:
        for number, cells in rows:
            if number in wanted:
                found[number] = cells
            if number >= last:
                break
    finally:
        close = getattr(rows, "close", None)  # a generator: its file closes now
        if close is not None:
            close()
    return found
