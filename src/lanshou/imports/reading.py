"""Stream the rows of a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file.

Nothing here holds more than one row: CSV goes through :mod:`csv` over a text stream, XLSX
through openpyxl's read-only mode. The encoding is guessed from the first 64 KiB (BOM, then a
strict UTF-8 decode, else GB18030); :meth:`TableFile.rows` raises ``UnicodeDecodeError`` if the
rest of the file disagrees, and the caller's first pass switches to GB18030 and starts over.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from lanshou.errors import InvalidInput
from lanshou.i18n import N_
from lanshou.imports.wording import invalid

__all__ = ["Cell", "TableFile", "open_table"]

Cell = str | datetime | None
SNIFF = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"

EMPTY_FILE = N_("%(path)s: the file is empty")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _norm_header(value: object) -> str:
    return str(value if value is not None else "").replace("\ufeff", "").strip().lower()


def _cell(value: object) -> Cell:
    """An XLSX value as text, keeping native datetimes (numbers without a spurious '.0')."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 — zone added later
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8' or 'gb18030' from the file's head; InvalidInput for binary data."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise invalid(
            "utf16",
            N_("%(path)s: UTF-16 text is not supported; save it as UTF-8 CSV"),
            path=path,
        )
    if b"\x00" in head:
        raise invalid(
            "binary",
            N_("%(path)s: this is not a CSV text file (binary data found)"),
            path=path,
        )
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise invalid(
        "encoding",
        N_("%(path)s: this is not a CSV text file (neither UTF-8 nor GBK/GB18030 text)"),
        path=path,
    )


@dataclass
class TableFile:
    """One input file; :meth:`rows` can be called again for a second pass."""

    path: Path
    kind: str  # csv | xlsx
    encoding: str | None = None
    header: list[str] = field(default_factory=list)
    size: int = 0
    position: int = 0  # bytes consumed by the current pass (XLSX: estimated from rows)
    _on_header: Callable[[list[str]], None] | None = field(default=None, repr=False)

    def rows(
        self, on_header: Callable[[list[str]], None] | None = None
    ) -> Iterator[tuple[int, list[Cell]]]:
        """(row number counting the header as 1, cells) for every non-blank data row.

        `on_header` sees the normalised header (lower case, trimmed) before the first row.
        """
        self.position = 0
        self._on_header = on_header
        if self.kind == "xlsx":
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    def _got_header(self, header: list[str]) -> None:
        self.header = header
        if self._on_header is not None:
            self._on_header(header)

    def _csv_rows(self) -> Iterator[tuple[int, list[Cell]]]:
        assert self.encoding is not None
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
            reader = csv.reader(text)
            number = 1
            try:
                first = next(reader, None)
                if first is None:
                    raise invalid("empty_file", EMPTY_FILE, path=self.path)
                self._got_header([_norm_header(h) for h in first])
                number = 1
                for record in reader:
                    number += 1
                    self.position = raw.tell()
                    if "".join(record).strip():  # some cell is not blank
                        yield number, list(record)
            except csv.Error as exc:
                raise invalid(
                    "bad_csv",
                    N_("%(path)s: not a readable CSV file near row %(row)s (%(detail)s)"),
                    path=self.path,
                    row=number + 1,
                    detail=exc,
                ) from exc
            self.position = self.size

    def _xlsx_rows(self) -> Iterator[tuple[int, list[Cell]]]:
        import openpyxl

        wb = None
        number = 0
        try:
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            total = ws.max_row or 0
            rows = ws.iter_rows(values_only=True)
            first = next(rows, None)
            if first is None:
                raise invalid(
                    "empty_file", N_("%(path)s: the first sheet is empty"), path=self.path
                )
            header = [_norm_header(h) for h in first]
            while header and not header[-1]:
                header.pop()
            self._got_header(header)
            number = 1
            for values in rows:
                number += 1
                if total:
                    self.position = min(self.size, self.size * number // total)
                cells = [_cell(v) for v in values]
                if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                    yield number, cells
        except InvalidInput:
            raise
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if number:
                raise invalid(
                    "bad_xlsx",
                    N_(
                        "%(path)s: not a readable XLSX workbook near row %(row)s (damaged or "
                        "truncated: %(detail)s)"
                    ),
                    path=self.path,
                    row=number,
                    detail=detail,
                ) from exc
            raise invalid(
                "bad_xlsx",
                N_("%(path)s: not a readable XLSX workbook (damaged or truncated: %(detail)s)"),
                path=self.path,
                detail=detail,
            ) from exc
        finally:
            if wb is not None:
                wb.close()
        self.position = self.size


def open_table(path: Path) -> TableFile:
    """Inspect `path` (exists, kind, encoding) without reading it through."""
    if not path.is_file():
        raise invalid("no_file", N_("%(path)s: no such file"), path=path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == _ZIP_MAGIC or path.suffix.lower() in (".xlsx", ".xlsm"):
        if magic != _ZIP_MAGIC:
            raise invalid(
                "bad_xlsx",
                N_("%(path)s: not a readable XLSX workbook (not a zip archive)"),
                path=path,
            )
        return TableFile(path, "xlsx", size=size)
    return TableFile(path, "csv", detect_encoding(path), size=size)
