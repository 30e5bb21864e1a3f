"""Fast bulk loading for the big demo tables, bypassing per-row ORM and type processing.

Rows arrive as tuples whose datetimes are already rendered as the backend stores them:
SQLite gets SQLAlchemy's own ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC, see ``UTCDateTime``), so
rows read back exactly like ORM-written ones and compare correctly as text; PostgreSQL gets the
same text with ``+00``, parsed by COPY into ``timestamptz``. Primary keys are assigned by the
caller, so nothing needs RETURNING; PostgreSQL's sequences are moved past them afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select

Row = tuple[Any, ...]


class TimeText:
    """Render integer UTC timestamps in [first_ts, last_ts] as database text and ISO 8601.

    The per-minute prefixes are computed once up front so the hot loop only indexes a list.
    An instant outside the range is an error, never a silent wrap to the other end of the table
    (a negative index would otherwise render a wrong date without complaint).
    """

    def __init__(self, dialect: str, first_ts: int, last_ts: int) -> None:
        self.tail = ".000000+00" if dialect == "postgresql" else ".000000"
        self.base = first_ts // 60
        self.db_prefix: list[str] = []
        self.iso_prefix: list[str] = []
        for hour in range(self.base // 60 * 60, last_ts // 60 + 1, 60):
            at = datetime.fromtimestamp(hour * 60, UTC)
            db, iso = at.strftime("%Y-%m-%d %H:"), at.strftime("%Y-%m-%dT%H:")
            self.db_prefix.extend(f"{db}{m:02d}:" for m in range(60))
            self.iso_prefix.extend(f"{iso}{m:02d}:" for m in range(60))
        skip = self.base - self.base // 60 * 60
        del self.db_prefix[:skip], self.iso_prefix[:skip]
        self.first_ts, self.last_ts = first_ts, last_ts

    def _minute(self, ts: int) -> int:
        index = ts // 60 - self.base
        if not 0 <= index < len(self.db_prefix):
            raise ValueError(
                f"instant {datetime.fromtimestamp(ts, UTC).isoformat()} is outside the rendered "
                f"range {datetime.fromtimestamp(self.first_ts, UTC).isoformat()} .. "
                f"{datetime.fromtimestamp(self.last_ts, UTC).isoformat()}"
            )
        return index

    def db(self, ts: int) -> str:
        return f"{self.db_prefix[self._minute(ts)]}{ts % 60:02d}{self.tail}"

    def iso(self, ts: int) -> str:
        return f"{self.iso_prefix[self._minute(ts)]}{ts % 60:02d}+00:00"


def next_id(conn: Connection, table: Table) -> int:
    """First free primary key (we assign keys ourselves to avoid RETURNING)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def check_columns(table: Table, columns: Sequence[str]) -> None:
    """Fail loudly if the schema gained a column the generator does not fill."""
    missing = {c.name for c in table.columns} - set(columns)
    unknown = set(columns) - {c.name for c in table.columns}
    if missing or unknown:
        raise RuntimeError(
            f"demo rows for {table.name} do not match the schema: "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )


def write_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, rows)


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def tune_for_bulk(conn: Connection, orders: int) -> None:
    """Give SQLite a page cache that holds the indexes being built; PostgreSQL needs nothing.

    The unique dedup_key index takes random inserts (it is a hash); once it outgrows the cache,
    every chunk rewrites most of its pages through the WAL. ~1 KiB per order, 1 GiB at most, on
    this connection only (reset below).
    """
    if conn.dialect.name == "sqlite":
        kib = min(max(orders, 2000), 1_048_576)
        conn.exec_driver_sql(f"PRAGMA cache_size=-{kib}")


def untune(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default


def reset_sequences(conn: Connection, tables: Sequence[Table]) -> None:
    """After explicit keys, move PostgreSQL's id sequences past them so later inserts work."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
        )
