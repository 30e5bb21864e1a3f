"""Rows for the big demo tables, ready for the adapter's bulk writer (``write_tuples``).

Rows are tuples whose datetimes are already rendered as the backend stores them: SQLite gets
SQLAlchemy's own ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC, see ``UTCDateTime``), so rows read
back exactly like ORM-written ones and compare correctly as text; PostgreSQL gets the same text
with ``+00``, parsed by COPY into ``timestamptz`` (:func:`utc_text_suffix` says which). Primary
keys are assigned here, so nothing needs RETURNING; the id sequences are moved past them
afterwards.
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

    def __init__(self, utc_suffix: str, first_ts: int, last_ts: int) -> None:
        self.tail = f".000000{utc_suffix}"  # utc_suffix: the database's, see utc_text_suffix
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
