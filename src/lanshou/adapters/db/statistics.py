"""Planner statistics of tables a bulk write grows, kept from going stale on PostgreSQL.

PostgreSQL estimates a table's rows as ``reltuples / relpages`` (the density the last VACUUM or
ANALYZE saw) times its current pages. A VACUUM or ANALYZE, autovacuum's among them, counts no
row of a transaction still in flight. Run on a table whose only rows are dead (a killed import's)
or uncommitted (its re-run's first chunk), it stores "0 rows on N pages": density zero, so
every later plan takes the table for empty however large it grows, until the next ANALYZE. A
join over it is then planned as nested loops over sequential scans and runs for minutes instead
of milliseconds. An ANALYZE in the writing transaction itself counts that transaction's rows.

SQLite keeps no statistics unless told to (``ANALYZE``, never run by lanshou): nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

# A stored estimate below this share of the rows known to exist is taken for stale. Growth alone
# never trips it: the planner scales the stored density by the pages the table has now.
_STALE_BELOW = 0.5


def hold_statistics(session: Session, tables: Sequence[Table]) -> None:
    """Keep VACUUM and ANALYZE off these tables until the session's transaction ends.

    SHARE UPDATE EXCLUSIVE blocks neither reads nor writes, only VACUUM, ANALYZE and schema
    changes; autovacuum skips a table it cannot lock, and one already at work on it is cancelled
    by the server after ``deadlock_timeout``. Take it first in the transaction, before any write:
    waiting then holds nothing another holder could need, so no deadlock cycle can form.
    """
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return
    names = ", ".join(table.name for table in tables)
    session.connection().exec_driver_sql(f"LOCK TABLE {names} IN SHARE UPDATE EXCLUSIVE MODE")


def planner_estimates(session: Session, tables: Sequence[Table]) -> dict[str, float | None]:
    """The rows the planner takes each table to hold (None: never analyzed, so it guesses from
    the pages and the row width, which is not stale). PostgreSQL only."""
    rows = session.connection().exec_driver_sql(
        "SELECT relname, reltuples, relpages, "
        "pg_relation_size(oid) / current_setting('block_size')::int "
        "FROM pg_class WHERE oid = ANY(%s::regclass[])",
        ([table.name for table in tables],),
    )
    out: dict[str, float | None] = {}
    for name, reltuples, relpages, pages in rows:
        out[name] = None if reltuples < 0 or relpages == 0 else reltuples / relpages * pages
    return out


def refresh_stale_statistics(session: Session, known_rows: Mapping[Table, int]) -> list[str]:
    """ANALYZE, in the session's transaction, each table the planner takes to hold fewer than
    half the rows known to be in it (``known_rows``: a lower bound, such as the rows this
    transaction wrote). Returns the names of the tables analyzed.

    Call it after the writes and before the reads that join these tables, holding
    :func:`hold_statistics` so no VACUUM can store a stale estimate again before the commit.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    tables = [table for table, rows in known_rows.items() if rows > 0]
    if not tables:
        return []
    session.flush()
    estimates = planner_estimates(session, tables)
    stale = [
        table.name
        for table in tables
        if (estimate := estimates.get(table.name)) is not None
        and estimate < known_rows[table] * _STALE_BELOW
    ]
    for name in stale:
        session.connection().exec_driver_sql(f"ANALYZE {name}")
    return stale


__all__ = ["hold_statistics", "planner_estimates", "refresh_stale_statistics"]
