"""What both importers share: one run's counters, progress and chunk writes, the date scan
(first pass) and the rows of the second pass.

``service`` (shop exports) and ``olist`` (the two-file data set) both build on these; neither
imports the other's internals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lanshou.batch import Rejected
from lanshou.errors import InvalidInput
from lanshou.i18n import N_, translate
from lanshou.imports.dates import DateOrder, OrderEvidence, TimeFormatError, infer_orders
from lanshou.imports.mapping import TIME_FIELDS, Mapping
from lanshou.imports.reading import EMPTY_FILE, Cell, TableFile
from lanshou.imports.records import ColumnIndex, OrderRecord, RowError, RowReader
from lanshou.imports.rejects import RejectsFile
from lanshou.imports.wording import invalid

if TYPE_CHECKING:  # the database side only: `lanshou check` reads without SQLAlchemy
    from sqlalchemy.orm import Session, sessionmaker

    from lanshou.imports.upsert import ChunkResult, OrderWriter

CHUNK = 5000


@dataclass(frozen=True)
class ImportProgress:
    phase: str  # "scan" (first pass) or "import"
    bytes_done: int
    bytes_total: int
    rows_read: int
    chunks_done: int


ProgressFn = Callable[[ImportProgress], None]


@dataclass
class ImportSummary:
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    orders_without_items: int = 0  # olist
    items_without_orders: int = 0  # olist
    unknown_carriers: Counter[str] = field(default_factory=Counter)
    pickup_events: int = 0
    phones_without_tail: int = 0  # orders whose buyer phone has no 4 trailing digits
    shipments_evaluated: int = 0
    chunks: int = 0
    rejects_files: list[Path] = field(default_factory=list)

    def add(self, chunk: ChunkResult) -> None:
        self.inserted += chunk.inserted
        self.updated += chunk.updated
        self.unchanged += chunk.unchanged
        self.unknown_carriers.update(chunk.unknown_carriers)
        self.pickup_events += chunk.pickup_events
        self.shipments_evaluated += chunk.shipments_evaluated
        self.chunks += 1

    def lines(self, locale: str | None = None) -> list[str]:
        """The summary people read after an import, in ``locale`` (default zh_CN)."""

        def t(msgid: str, count: object) -> str:
            return translate(locale, msgid, count=count)

        out = [
            t(N_("rows read:  %(count)s"), self.rows_read),
            t(N_("inserted:   %(count)s"), self.inserted),
            t(N_("updated:    %(count)s"), self.updated),
            t(N_("unchanged:  %(count)s"), self.unchanged),
            t(N_("rejected:   %(count)s"), self.rejected),
        ]
        if self.source == "olist":
            out += [
                t(N_("orders without items: %(count)s"), self.orders_without_items),
                t(N_("items without orders: %(count)s"), self.items_without_orders),
                t(N_("pickup scans recorded: %(count)s"), self.pickup_events),
            ]
        out += self.warnings(locale)
        out += self.rejects_lines(locale)
        return out

    def rejects_lines(self, locale: str | None = None) -> list[str]:
        """Where the refused rows were written, one line per rejects file."""
        return [
            translate(locale, N_("rejected rows: %(path)s"), path=str(p))
            for p in self.rejects_files
        ]

    def warnings(self, locale: str | None = None) -> list[str]:
        """What was kept but deserves a look (`check` prints these too), in ``locale``."""
        out = []
        if self.unknown_carriers:
            names = ", ".join(f"{n} ({c})" for n, c in self.unknown_carriers.most_common(10))
            out.append(
                translate(
                    locale,
                    N_(
                        "warning: %(count)s shipment(s) name a carrier lanshou does not know, "
                        "kept without a carrier: %(names)s"
                    ),
                    count=sum(self.unknown_carriers.values()),
                    names=names,
                )
            )
        if self.phones_without_tail:
            out.append(
                translate(
                    locale,
                    N_(
                        "warning: %(count)s order(s) have a buyer phone without 4 trailing digits "
                        "(masked or short), kept without a phone tail"
                    ),
                    count=self.phones_without_tail,
                )
            )
        return out


@dataclass
class ReadRun:
    """What reading one export needs everywhere: counters, progress, refused rows."""

    summary: ImportSummary
    progress: ProgressFn | None = None
    bytes_total: int = 0
    bytes_before: int = 0  # bytes of files already done (olist: the items file)
    # Refused rows as a list as well as in the rejects file (check prints them); None: file only.
    rejections: list[Rejected] | None = None
    locale: str | None = None  # of the reasons in the rejects file (default zh_CN)

    def reject(
        self, rejects: RejectsFile, table: TableFile, number: int, exc: RowError, cells: list[Cell]
    ) -> None:
        rejected = Rejected(str(table.path), number, exc.column, exc.reason)
        rejects.add(rejected, rejected.reason.text(self.locale), table.header, cells)
        self.summary.rejected += 1
        if self.rejections is not None:
            self.rejections.append(rejected)

    def report(self, phase: str, table: TableFile) -> None:
        if self.progress is not None:
            self.progress(
                ImportProgress(
                    phase,
                    self.bytes_before + table.position,
                    self.bytes_total,
                    self.summary.rows_read,
                    self.summary.chunks,
                )
            )


@dataclass
class ImportRun:
    """What writing one import needs: the database session factory and the chunk writer."""

    sessions: sessionmaker[Session]
    writer: OrderWriter
    read: ReadRun

    def flush(self, records: list[OrderRecord], table: TableFile) -> None:
        if not records:
            return
        try:
            with self.sessions() as session:
                result = self.writer.write(session, records)
                session.commit()
        except BaseException:
            self.writer.forget_uncommitted()
            raise
        self.read.summary.add(result)
        self.read.report("import", table)


def required_fields(layout: Mapping, shop: str | None) -> list[str]:
    """The fields a shop export's header must have (a shop column only without ``--shop``)."""
    required = ["order_id", "paid_at"]
    if layout.amount_scope == "order":
        required.append("amount")
    if shop is None and "shop" in layout.columns:
        required.append("shop")
    elif shop is None:
        raise invalid(
            "no_shop",
            N_("the %(source)s mapping has no shop column: pass --shop"),
            source=layout.source,
        )
    return required


def wanted_columns(mapping: Mapping, items: bool = False) -> dict[str, list[str]]:
    cols = mapping.item_columns if items else mapping.columns
    return {f: mapping.names(f, items=items) for f in cols}


def scan_dates(
    table: TableFile,
    wanted: dict[str, list[str]],
    required: list[str],
    forced: DateOrder | None,
    report: Callable[[], None] | None = None,
    times: frozenset[str] = TIME_FIELDS,
) -> tuple[ColumnIndex, dict[str, DateOrder | None]]:
    """First pass: check the header, settle the encoding and each time column's date order."""
    holder: list[ColumnIndex] = []

    def check(header: list[str]) -> None:
        holder.append(ColumnIndex(wanted, header, str(table.path), required))

    while True:
        holder.clear()
        evidence: dict[str, OrderEvidence] = {}
        try:
            spots: list[tuple[int, OrderEvidence]] = []
            for n, (_, cells) in enumerate(table.rows(check)):
                if not spots:
                    for fld, places in holder[0].index.items():
                        if fld in times:
                            for i, name in places:
                                evidence[name] = ev = OrderEvidence()
                                spots.append((i, ev))
                for i, ev in spots:
                    if i < len(cells):
                        ev.add(cells[i])
                if report is not None and n % CHUNK == 0:
                    report()
        except UnicodeDecodeError as exc:
            if table.encoding in ("utf-8", "utf-8-sig"):
                table.encoding = "gb18030"  # UTF-8 at the head only: GBK further down
                continue
            raise invalid(
                "encoding",
                N_(
                    "%(path)s: this is not a CSV text file (undecodable bytes at offset "
                    "%(offset)s of a chunk; expected UTF-8 or GBK/GB18030)"
                ),
                path=table.path,
                offset=exc.start,
            ) from exc
        if not holder:
            raise invalid("empty_file", EMPTY_FILE, path=table.path)
        try:
            return holder[0], infer_orders(evidence, forced, str(table.path))
        except TimeFormatError as exc:
            raise InvalidInput(str(exc), reason=exc.reason) from exc


def accepted_rows(
    table: TableFile, reader: RowReader, rejects: RejectsFile, run: ReadRun
) -> Iterator[tuple[int, list[Cell]]]:
    """The rows of the second pass, each loaded into `reader`; bad shapes go to rejects."""
    for number, cells in table.rows():
        run.summary.rows_read += 1
        try:
            reader.load(cells)
        except RowError as exc:
            run.reject(rejects, table, number, exc, cells)
            continue
        yield number, cells
