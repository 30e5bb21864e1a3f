"""The operations whose SQL differs between SQLite and PostgreSQL, named by what they do.

lanshou runs on SQLite (development, small shops) and PostgreSQL (production). Everything
outside ``adapters/`` asks for an operation here (or in :mod:`lanshou.adapters.db.bulk`)
instead of asking which database it is on:

- :func:`insert_for`, :func:`insert_ignoring_conflicts`, :func:`upsert`: ``INSERT … ON
  CONFLICT``, which both databases have, but SQLAlchemy builds from each dialect's own
  ``insert``;
- :func:`claim_skip_locked`: rows locked by another transaction are skipped, so workers claim
  disjoint rows;
- :func:`advisory_xact_lock`: writers of one kind serialised until their transaction ends,
  by a named :class:`LockKey` (:func:`try_advisory_xact_lock`, :func:`try_advisory_xact_locks`:
  only if free now, no waiting);
- :func:`hold_write_lock`: a transaction that must read only what no other writer changes;
- :func:`writes_concurrently`: whether more writer processes help at all;
- :func:`week_start`: the Monday of a day's ISO week, in SQL;
- :func:`utc_text_suffix` and :func:`database_file_missing` for the bulk loader and the tools
  that must not create a database by looking at it.

SQLite lets one connection write at a time, from its first write to the end of its transaction,
so the locks have nothing to add there and are no-ops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVarTuple

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    Table,
    cast,
    false,
    func,
    make_url,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql import ColumnElement, Select

from lanshou.adapters.db.models.base import Base

Bind = Session | Connection
Insert = PostgresqlInsert | SqliteInsert
Target = Table | type[Base]
_Ts = TypeVarTuple("_Ts")


class LockKey(IntEnum):
    """The advisory locks lanshou takes. The numbers are what the database sees: a running
    deployment of an older version locks the same number, so a value never changes."""

    AUDIT_CHAIN = 7356001  # appending to the hash-chained audit trail
    ANALYTICS_REFRESH = 0x4C53_4147  # "LSAG": refreshing the loss aggregates
    ANALYTICS_PICKUPS = 0x4C53_4150  # "LSAP": refreshing the pickup aggregates
    # Folding a waybill's inbox records into its shipment; with the waybill's hash as the
    # second key (:func:`advisory_xact_locks`), so it must fit 32 bits.
    TRACKING_FOLD = 0x4C53_5446  # "LSTF"
    # Creating the monthly partitions of tracking events (adapters.db.partitions).
    TRACKING_PARTITIONS = 0x4C53_5450  # "LSTP"


def _on_postgresql(bind: Bind) -> bool:
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return dialect.name == "postgresql"


def insert_for(bind: Bind, table: Target) -> Insert:
    """``INSERT INTO table`` that takes ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return (postgresql_insert if _on_postgresql(bind) else sqlite_insert)(table)


def insert_ignoring_conflicts(
    bind: Bind, table: Target, *, key: Sequence[str] | None = None
) -> Insert:
    """``INSERT … ON CONFLICT [(key)] DO NOTHING``: a row whose unique key is stored already
    (by an earlier run or a concurrent writer) is skipped, never doubled. Without ``key`` any
    unique constraint counts."""
    return insert_for(bind, table).on_conflict_do_nothing(index_elements=key)


def upsert(
    bind: Bind,
    table: Target,
    *,
    key: Sequence[Any],
    set_: Callable[[Any], Mapping[str, Any]],
) -> Insert:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET set_(new)``: a row whose ``key`` is stored
    updates the stored row instead. ``set_`` receives the rejected new row's columns
    (``excluded``), e.g. ``lambda new: {"n": table.c.n + new.n}`` to add up."""
    stmt = insert_for(bind, table)
    return stmt.on_conflict_do_update(index_elements=key, set_=dict(set_(stmt.excluded)))


def claim_skip_locked(query: Select[*_Ts], *, of: Any = None) -> Select[*_Ts]:
    """``SELECT … FOR UPDATE SKIP LOCKED`` (of ``of``, default every table): the rows come back
    locked until the transaction ends, and rows another transaction holds are skipped, so
    workers claiming side by side get disjoint rows. SQLite has no row locks (SQLAlchemy leaves
    the clause out there); its single writer is what keeps two claims apart."""
    return query.with_for_update(skip_locked=True, of=of)


def advisory_xact_lock(bind: Bind, key: LockKey) -> None:
    """Wait for, then hold until this transaction ends, the lock named ``key``: transactions
    taking the same key run one after another. A no-op on SQLite (one writer at a time)."""
    if not _on_postgresql(bind):
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int(key)})


def try_advisory_xact_lock(bind: Bind, key: LockKey) -> bool:
    """Take the lock named ``key`` if it is free now and hold it until this transaction ends;
    False, without waiting, if another transaction holds it. True on SQLite (one writer)."""
    if not _on_postgresql(bind):
        return True
    conn = bind.connection() if isinstance(bind, Session) else bind
    return bool(
        conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": int(key)}).scalar()
    )


def advisory_xact_locks(bind: Bind, key: LockKey, items: Sequence[int]) -> None:
    """:func:`advisory_xact_lock` on each of ``items`` (32-bit numbers) under ``key``, taken in
    ascending order in one statement: two transactions locking overlapping sets wait for each
    other instead of deadlocking. A no-op on SQLite."""
    if not items or not _on_postgresql(bind):
        return
    conn = bind.connection() if isinstance(bind, Session) else bind
    # unnest returns the array's elements in order, and the order is the locks' order.
    conn.execute(
        text("SELECT count(pg_advisory_xact_lock(:key, n)) FROM unnest(CAST(:items AS int[])) n"),
        {"key": int(key), "items": sorted(set(items))},
    )


def try_advisory_xact_locks(bind: Bind, key: LockKey, items: Sequence[int]) -> set[int]:
    """Of ``items`` (32-bit numbers) under ``key``, the locks this transaction could take now
    without waiting (held until it ends); those another transaction holds are left. Never
    waiting, it cannot deadlock with a holder that waits for a row this transaction locked.
    On SQLite every item (one writer at a time)."""
    if not items or not _on_postgresql(bind):
        return set(items)
    conn = bind.connection() if isinstance(bind, Session) else bind
    rows = conn.execute(
        text(
            "SELECT n FROM unnest(CAST(:items AS int[])) n "
            "WHERE pg_try_advisory_xact_lock(:key, n) ORDER BY n"
        ),
        {"key": int(key), "items": sorted(set(items))},
    )
    return {int(n) for (n,) in rows}


def writes_concurrently(bind: Bind | Engine) -> bool:
    """Whether transactions on this database write side by side (PostgreSQL), or one after
    another (SQLite: more writer processes would only wait for each other)."""
    if isinstance(bind, Engine):
        return bind.dialect.name == "postgresql"
    return _on_postgresql(bind)


def hold_write_lock(bind: Bind, table: Table) -> None:
    """Make this transaction the writer now, before it reads what it will change: on SQLite a
    write that changes nothing (of ``table``) waits for the one write lock, and every read that
    follows sees the last committed state, since no other writer can commit in between (a
    deferred transaction would read first, then wait to write over someone else's commit). A
    no-op on PostgreSQL, where row and advisory locks keep writers apart."""
    if _on_postgresql(bind):
        return
    key = next(iter(table.primary_key.columns))
    bind.execute(update(table).where(false()).values({key.name: key}))


def week_start(
    bind: Bind, day: ColumnElement[date] | QueryableAttribute[date]
) -> ColumnElement[date]:
    """SQL for the Monday of ``day``'s ISO week (``day`` a date, e.g. a local day column)."""
    if _on_postgresql(bind):
        return cast(func.date_trunc("week", cast(day, DateTime)), Date)
    return func.date(day, "-6 days", "weekday 1", type_=Date)


def utc_text_suffix(bind: Bind) -> str:
    """What follows ``YYYY-MM-DD HH:MM:SS.ffffff`` in a UTC timestamp handed to the driver as
    text: PostgreSQL's COPY parses ``+00`` into ``timestamptz``; SQLite stores the text as it
    is, and lanshou keeps naive UTC there (see ``UTCDateTime``)."""
    return "+00" if _on_postgresql(bind) else ""


def database_file_missing(url: str) -> bool:
    """True if ``url`` names a database kept in a local file (SQLite) whose file does not
    exist, or one held in memory: opening it would create an empty database. A database
    server's URL is never missing here; connecting to it tells."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or not Path(database).is_file()


__all__ = [
    "Insert",
    "LockKey",
    "advisory_xact_lock",
    "advisory_xact_locks",
    "claim_skip_locked",
    "database_file_missing",
    "hold_write_lock",
    "insert_for",
    "insert_ignoring_conflicts",
    "try_advisory_xact_locks",
    "upsert",
    "utc_text_suffix",
    "week_start",
    "writes_concurrently",
]
