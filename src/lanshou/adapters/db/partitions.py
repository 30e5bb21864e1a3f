"""Tracking events by month: PostgreSQL keeps one partition per UTC month, SQLite a plain table.

``tracking_events`` is the biggest table and the only one that grows with every scan a carrier
sends. On PostgreSQL it is partitioned by RANGE on ``event_time`` (migration 0019), one
partition per calendar month in UTC, plus a DEFAULT partition that catches an event of a month
nobody created a partition for yet (a feed's wild clock, a month far ahead): no event is ever
refused for want of a partition.

Why ``event_time`` and not ``received_at``: the dedup key hashes the event's time (waybill,
status, time, text), so two copies of one scan always share their ``event_time``, hence their
partition, and ``UNIQUE (dedup_key, event_time)`` — what PostgreSQL allows on a partitioned
table, whose unique keys must hold the partition key — is exactly as strict as ``dedup_key``
alone. Partitioned by ``received_at``, the same scan resent in the next month would land in
another partition and no index could refuse it. And retention asks "how old is what happened",
which is the event's time.

The operations here are what retention and the worker need, named by what they do; SQLite
answers them on its one table (a month is a range of rows there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, bindparam, text

from lanshou.adapters.db.dialect import LockKey, advisory_xact_lock, hold_write_lock
from lanshou.adapters.db.models.commerce import TrackingEvent
from lanshou.adapters.db.types import UTCDateTime

TABLE = "tracking_events"
KEY = "event_time"
DEFAULT_PARTITION = f"{TABLE}_default"
_MONTHLY = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC, the unit of partitioning, archiving and dropping."""

    year: int
    month: int

    @classmethod
    def of(cls, at: datetime) -> Month:
        utc = at.astimezone(UTC)
        return cls(utc.year, utc.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (ranges are half-open)."""
        return self.plus(1).start

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def partition(self) -> str:
        return f"{TABLE}_p{self.year:04d}{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def is_partition_name(name: str) -> bool:
    """Whether ``name`` is one of ``tracking_events``' partitions (not a table of the models)."""
    return name == DEFAULT_PARTITION or _MONTHLY.match(name) is not None


def _on_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def is_partitioned(conn: Connection) -> bool:
    """Whether this database keeps tracking events in monthly partitions (PostgreSQL)."""
    return _on_postgresql(conn)


def monthly_partitions(conn: Connection) -> list[Month]:
    """The months that have their own partition, oldest first (none on SQLite)."""
    if not _on_postgresql(conn):
        return []
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": TABLE},
    ).scalars()
    months = []
    for name in names:
        m = _MONTHLY.match(name)
        if m:
            months.append(Month(int(m[1]), int(m[2])))
    return sorted(months)


def _in_month(conn: Connection, sql: str, month: Month) -> CursorResult[Any]:
    """Run ``sql`` whose ``:start`` and ``:end`` are the month's bounds, as each database
    stores timestamps (timestamptz; naive UTC text on SQLite)."""
    stmt = text(sql).bindparams(
        bindparam("start", month.start, type_=UTCDateTime()),
        bindparam("end", month.end, type_=UTCDateTime()),
    )
    return conn.execute(stmt)


_MONTH_ROWS = f"{KEY} >= :start AND {KEY} < :end"


def _range_sql(month: Month) -> str:
    return f"FROM ('{month.start:%Y-%m-%d} 00:00:00+00') TO ('{month.end:%Y-%m-%d} 00:00:00+00')"


def create_default_partition(conn: Connection) -> None:
    """The partition every event without a month of its own falls into (PostgreSQL)."""
    conn.execute(
        text(f"CREATE TABLE IF NOT EXISTS {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
    )


def ensure_partitions(conn: Connection, months: list[Month]) -> list[Month]:
    """Create the missing partitions of ``months``; return those created. Rows of such a month
    already in the DEFAULT partition move into the new one in the same transaction (PostgreSQL
    refuses a partition whose rows sit in DEFAULT). Concurrent callers (several workers) take
    turns on an advisory lock, so a partition is never created twice. A no-op on SQLite.

    Safe under live traffic: DEFAULT is locked first (ACCESS EXCLUSIVE, which ATTACH needs
    anyway), so no event of the month slips into it between the move and the ATTACH (which
    would then fail), and the lock is never upgraded while a writer that read DEFAULT waits
    for it (a deadlock). Each partition is built beside the table and attached, which takes
    only SHARE UPDATE EXCLUSIVE on ``tracking_events`` — ``CREATE TABLE … PARTITION OF``
    takes ACCESS EXCLUSIVE there and deadlocks with any transaction that already read or
    wrote ``tracking_events`` and now waits for DEFAULT (the drainer's duplicate look-up).
    Readers and writers of DEFAULT wait for this transaction: a moment, as DEFAULT holds only
    what no partition was ready for."""
    if not _on_postgresql(conn) or not months:
        return []
    advisory_xact_lock(conn, LockKey.TRACKING_PARTITIONS)
    missing = sorted(set(months) - set(monthly_partitions(conn)))
    if missing:
        conn.execute(text(f"LOCK TABLE {DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE"))
    for month in missing:
        _create_partition(conn, month)
    return missing


def _create_partition(conn: Connection, month: Month) -> None:
    """Build the partition beside the table, move the month's rows out of DEFAULT into it
    (if any), then attach it: ATTACH checks DEFAULT holds none of the month any more, and
    builds the indexes."""
    conn.execute(
        text(
            f"CREATE TABLE {month.partition} "
            f"(LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
    )
    _in_month(
        conn,
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE {_MONTH_ROWS} RETURNING *) "
        f"INSERT INTO {month.partition} SELECT * FROM moved",
        month,
    )
    conn.execute(
        text(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {month.partition} FOR VALUES {_range_sql(month)}"
        )
    )


def ensure_ahead(conn: Connection, now: datetime, months_ahead: int = 2) -> list[Month]:
    """The partitions of this month and the next ``months_ahead``, created if missing."""
    current = Month.of(now)
    return ensure_partitions(conn, [current.plus(i) for i in range(months_ahead + 1)])


def months_before(conn: Connection, cutoff: Month) -> list[Month]:
    """The months before ``cutoff`` that hold events or have a partition, oldest first."""
    if _on_postgresql(conn):
        found = conn.execute(
            text(
                f"SELECT DISTINCT date_trunc('month', {KEY} AT TIME ZONE 'UTC') FROM {TABLE} "
                f"WHERE {KEY} < :cutoff"
            ),
            {"cutoff": cutoff.start},
        ).scalars()
        months = {Month(d.year, d.month) for d in found}
        months.update(m for m in monthly_partitions(conn) if m < cutoff)
        return sorted(months)
    # SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS…": the month is its first seven characters.
    found = conn.execute(
        text(f"SELECT DISTINCT substr({KEY}, 1, 7) FROM {TABLE} WHERE {KEY} < :cutoff").bindparams(
            bindparam("cutoff", cutoff.start, type_=UTCDateTime())
        )
    ).scalars()
    return sorted(Month(int(s[:4]), int(s[5:7])) for s in found)


def hold_month(conn: Connection, month: Month) -> None:
    """Keep writers out of ``month``'s events until this transaction ends, so what is archived
    is what is then removed. PostgreSQL: SHARE locks on the month's partition and on DEFAULT
    (readers go on; an insert waits). SQLite: this transaction becomes the one writer now."""
    if _on_postgresql(conn):
        if month in monthly_partitions(conn):
            conn.execute(text(f"LOCK TABLE {month.partition} IN SHARE MODE"))
        conn.execute(text(f"LOCK TABLE {DEFAULT_PARTITION} IN SHARE MODE"))
        return
    hold_write_lock(conn, cast(Table, TrackingEvent.__table__))


def remove_month(conn: Connection, month: Month) -> int:
    """Remove every event of ``month``; return how many there were. PostgreSQL drops the
    month's partition (no dead rows, no vacuum) and deletes the month's stragglers in DEFAULT;
    SQLite deletes the month's rows."""
    if not _on_postgresql(conn):
        return _in_month(conn, f"DELETE FROM {TABLE} WHERE {_MONTH_ROWS}", month).rowcount
    removed = _in_month(
        conn, f"DELETE FROM {DEFAULT_PARTITION} WHERE {_MONTH_ROWS}", month
    ).rowcount
    if month in monthly_partitions(conn):
        removed += conn.execute(text(f"SELECT count(*) FROM {month.partition}")).scalar_one()
        conn.execute(text(f"DROP TABLE {month.partition}"))
    return removed


__all__ = [
    "DEFAULT_PARTITION",
    "Month",
    "create_default_partition",
    "ensure_ahead",
    "ensure_partitions",
    "hold_month",
    "is_partition_name",
    "is_partitioned",
    "monthly_partitions",
    "months_before",
    "remove_month",
]
