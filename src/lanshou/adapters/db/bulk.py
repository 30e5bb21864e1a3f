"""Many-row reads and writes that stay a few statements per batch on both backends.

The event path writes thousands of rows per request. SQLAlchemy's executemany pays for a
compiled-parameter dictionary per row, inserts with ``RETURNING`` one row at a time on SQLite
(it cannot promise the returned order there), and a 5,000-item ``IN (…)`` costs a bind
parameter each. Here values are converted once per column by the columns' own types and handed
to the driver: executemany on SQLite (in-process, so round trips are free), COPY and array
parameters on PostgreSQL (one round trip instead of one per row).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVarTuple, cast

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Select,
    Table,
    UniqueConstraint,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TypedReturnsRows

from lanshou.adapters.db.types import UTCDateTime, as_utc

Values = Mapping[str, Any]
_Ts = TypeVarTuple("_Ts")
_VALUES_PER_STATEMENT = 30_000  # under SQLite's 32,766 host parameters per statement
_SQLITE_DEFAULT_CACHE_KIB = 2000


def _converters(conn: Connection, table: Table, columns: Sequence[str]) -> list[Any]:
    """Each column's bind conversion (what SQLAlchemy would apply to the value), or None."""
    dialect = conn.dialect
    return [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]


def _write_converters(conn: Connection, table: Table, columns: Sequence[str]) -> list[Any]:
    """:func:`_converters` for :func:`write_tuples`. On PostgreSQL (COPY) a time column's
    conversion ends in the time's ISO 8601 text, which PostgreSQL reads whatever its DateStyle:
    psycopg's COPY dumps a datetime several times slower than the text of one (about 3 µs a
    value against 0.2), and the event path writes two per row. Only for COPY: elsewhere the
    values are parameters, compared and typed as datetimes."""
    converters = _converters(conn, table, columns)
    if conn.dialect.name != "postgresql":
        return converters
    out = []
    for c, f in zip(columns, converters, strict=True):
        column_type = table.c[c].type
        if isinstance(column_type, UTCDateTime):
            f = _utc_iso  # its bind conversion and the text in one call, once per row
        elif column_type._type_affinity is DateTime:
            f = _iso_text(f)
        out.append(f)
    return out


def _utc_iso(value: datetime) -> str:
    """:meth:`UTCDateTime.process_bind_param` on PostgreSQL, then the ISO text."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
    return as_utc(value).isoformat()


def _iso_text(f: Any) -> Any:
    """A time column's bind conversion (or none), then the ISO text of the datetime."""
    if f is None:
        return datetime.isoformat
    return lambda value: None if (v := f(value)) is None else v.isoformat()


def _tuples(
    rows: Sequence[Values], columns: Sequence[str], converters: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """The rows as driver tuples, converted column by column (far cheaper than row by row)."""
    out = []
    for c, f in zip(columns, converters, strict=True):
        values = [r.get(c) for r in rows]
        if f is not None and values:
            first = values[0]
            if all(v is first for v in values):
                # One value for every row (the batch's receipt time, its source): convert once.
                values = [None if first is None else f(first)] * len(values)
            else:
                values = [None if v is None else f(v) for v in values]
        out.append(values)
    return list(zip(*out, strict=True))


def insert_ids(conn: Connection, table: Table, rows: Sequence[Values]) -> list[int]:
    """Insert ``rows`` into a table with an integer ``id`` key; return the new ids in row order.

    SQLite gives a new row ``max(rowid) + 1`` and lets one connection at a time write to the
    whole database, from its first write until the transaction ends. So the rows of one
    executemany get consecutive ids ending at the largest id the table holds right after it,
    read inside the same transaction before anyone else can write.
    """
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        # Ids drawn from the column's sequence first, then COPY with them: two round trips,
        # where INSERT … RETURNING in parameter order costs a multi-row VALUES per 1,000.
        sequence = conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table.name,)
        ).scalar_one()
        ids = sorted(
            conn.exec_driver_sql(
                "SELECT nextval(%s) FROM generate_series(1, %s)", (sequence, len(rows))
            ).scalars()
        )
        insert_many(conn, table, [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
        return ids
    if conn.dialect.name != "sqlite":
        result = conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)
        )
        return list(result.scalars())
    insert_many(conn, table, rows)
    last = conn.execute(select(func.max(table.c.id))).scalar_one()
    first = int(last) - len(rows) + 1
    return list(range(first, first + len(rows)))


def insert_many(conn: Connection, table: Table, rows: Sequence[Values]) -> None:
    """Insert ``rows`` (the columns of the first row): driver executemany / COPY."""
    if not rows:
        return
    columns = list(rows[0])
    converters = _write_converters(conn, table, columns)
    write_tuples(conn, table, columns, _tuples(rows, columns, converters))


def write_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ready: Collection[str] = (),
) -> None:
    """Insert rows given as tuples of Python values in the order of ``columns``: converted
    column by column by the columns' types, except the ``ready`` columns, whose values are
    already what the driver takes (a JSON column's text, say), then :func:`write_tuples`."""
    if not rows:
        return
    converters = _write_converters(conn, table, columns)
    out: list[Any] = []
    for at, (c, f) in enumerate(zip(columns, converters, strict=True)):
        values = [r[at] for r in rows]
        if f is not None and c not in ready:
            first = values[0]
            if all(v is first for v in values):
                values = [None if first is None else f(first)] * len(values)
            else:
                values = [None if v is None else f(v) for v in values]
        out.append(values)
    write_tuples(conn, table, columns, list(zip(*out, strict=True)))


def write_tuples(
    conn: Connection, table: Table, columns: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows given as driver-ready tuples (values as the driver takes them, in the order
    of ``columns``): executemany on SQLite, COPY on PostgreSQL, no conversion at all."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, columns, values)
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", values
    )


@contextmanager
def page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """A page cache of ``kib`` KiB on this SQLite connection while a bulk load runs, SQLite's
    default afterwards. Indexes that take random inserts (hashes) rewrite most of their pages
    per chunk once they outgrow the cache. PostgreSQL's shared buffers need nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_DEFAULT_CACHE_KIB}")


def move_id_sequences_past(conn: Connection, tables: Sequence[Table]) -> None:
    """After rows were written with explicit ids, let the next generated id of each table
    follow the largest one stored. SQLite takes ``max(rowid) + 1`` by itself; PostgreSQL's
    sequences do not see explicit ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
        )


def conflict_columns(table: Table, key: str) -> tuple[str, ...]:
    """The columns of ``table``'s unique key that holds ``key``: the ``ON CONFLICT`` target.
    Usually ``key`` alone; ``tracking_events`` is unique on ``(dedup_key, event_time)``, since
    a unique key of a partitioned table must hold its partition key (``adapters.db.partitions``)."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and key in constraint.columns:
            names = tuple(c.name for c in constraint.columns)
            return (key, *(n for n in names if n != key))
    return (key,)


def insert_new(conn: Connection, table: Table, rows: Sequence[Values], key: str) -> set[Any]:
    """Insert the rows whose unique ``key`` is not stored yet; return the keys inserted.

    The key's unique constraint may hold more columns (:func:`conflict_columns`); those follow
    from ``key`` in every row (the dedup key hashes the event's time), so ``key`` still names
    a row. SQLite: one ``ON CONFLICT DO NOTHING … RETURNING`` per batch, so a row that a
    concurrent writer stored first is skipped, never doubled, and not reported as new.
    PostgreSQL: the keys already stored are looked up in one statement (narrowed to the range
    of the other columns, so a partitioned table reads only the partitions the batch falls in)
    and the others go in by COPY, as fast as a plain bulk load; should a concurrent writer store
    one of them in between, the COPY fails on the key, is rolled back to a savepoint, and the
    batch goes through a staging table and ``INSERT … SELECT … ON CONFLICT DO NOTHING`` instead.
    """
    if not rows:
        return set()
    columns = list(rows[0])
    values = _tuples(rows, columns, _converters(conn, table, columns))
    names = ", ".join(columns)
    target = ", ".join(conflict_columns(table, key))
    if conn.dialect.name == "postgresql":
        at = columns.index(key)
        narrow, params = _within_ranges(table, key, columns, values)
        stored = set(
            conn.exec_driver_sql(
                f"SELECT {key} FROM {table.name} WHERE {key} = ANY(%b){narrow}",
                (([v[at] for v in values]), *params),
            ).scalars()
        )
        fresh: dict[Any, tuple[Any, ...]] = {}
        for v in values:
            if v[at] not in stored:
                fresh.setdefault(v[at], v)
        if not fresh:
            return set()  # a resent full trace: nothing to copy
        try:
            with conn.begin_nested():
                _copy(conn, table.name, columns, list(fresh.values()))
            return set(fresh)
        except conn.dialect.dbapi.IntegrityError:  # type: ignore[union-attr]
            pass  # raced by another writer: the statement that skips what it finds
        stage = _stage(conn, table, columns)
        _copy(conn, stage, columns, values)
        result = conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} "
            f"ON CONFLICT ({target}) DO NOTHING RETURNING {key}"
        )
        keys = set(result.scalars())
        conn.exec_driver_sql(f"DELETE FROM {stage}")
        return keys
    per_row = f"({', '.join('?' * len(columns))})"
    step = max(1, _VALUES_PER_STATEMENT // len(columns))
    inserted: set[Any] = set()
    for i in range(0, len(values), step):
        part = values[i : i + step]
        result = conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES {', '.join([per_row] * len(part))} "
            f"ON CONFLICT ({target}) DO NOTHING RETURNING {key}",
            tuple(v for row in part for v in row),
        )
        inserted.update(result.scalars())
    return inserted


def _within_ranges(
    table: Table, key: str, columns: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    """``AND col BETWEEN lowest AND highest`` for the key's other unique columns (PostgreSQL
    parameters): a stored row with the same key has the same value there, so nothing is
    missed, and a partitioned table prunes the partitions outside the batch's range."""
    sql, params = "", []
    for name in conflict_columns(table, key)[1:]:
        at = columns.index(name)
        seen = [v[at] for v in values]
        if any(x is None for x in seen):
            continue
        sql += f" AND {name} BETWEEN %s AND %s"
        params += [min(seen), max(seen)]
    return sql, params


def update_many(conn: Connection, table: Table, rows: Sequence[Values], key: str = "id") -> None:
    """``UPDATE table SET <the rows' other columns> WHERE key = row[key]`` for every row."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    values = _tuples(rows, [*columns, key], _converters(conn, table, [*columns, key]))
    if conn.dialect.name == "postgresql":
        # One statement over arrays, one per column: no per-row round trip.
        arrays = [list(col) for col in zip(*values, strict=True)]
        casts = [table.c[c].type.compile(conn.dialect) for c in (*columns, key)]
        # %b: arrays in psycopg's binary format (its text format quotes element by element).
        unnest = ", ".join(f"%b::{cast}[]" for cast in casts)
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        conn.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {sets} FROM unnest({unnest}) "
            f"AS v({', '.join((*columns, key))}) WHERE t.{key} = v.{key}",
            tuple(arrays),
        )
        return
    sets = ", ".join(f"{c} = ?" for c in columns)
    conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = ?", values)


def among(
    conn: Connection, column: Column[Any] | Any, values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values`` as one bound parameter however many values there are.

    PostgreSQL: ``= ANY(array)``; SQLite: ``IN (SELECT value FROM json_each(?))``. Both keep the
    statement text (and SQLAlchemy's compiled-statement cache) the same for every batch.
    """
    if conn.dialect.name == "postgresql":
        element_type = column.type if not isinstance(column.type, BigInteger) else BigInteger()
        return column == any_(bindparam(None, list(values), type_=ARRAY(element_type)))
    doc = json.dumps(list(values), ensure_ascii=False, default=str)
    values_of: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, doc))
    )
    return cast(ColumnElement[bool], column.in_(values_of.scalar_subquery()))


def read(session: Session, statement: TypedReturnsRows[*_Ts]) -> Sequence[Row[*_Ts]]:
    """The rows of a column read in the session's transaction, fetched in one call, without
    the ORM's per-row bookkeeping.

    Pending ORM changes are flushed first, as ``session.execute`` would (autoflush).
    """
    session.flush()
    return session.connection().execute(statement).all()


def _copy(
    conn: Connection, table: str, columns: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _stage(conn: Connection, table: Table, columns: Sequence[str]) -> str:
    """A temporary table with these columns of ``table`` (no constraints), emptied at commit."""
    name = f"_stage_{table.name}_{zlib.crc32(','.join(columns).encode()):08x}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
        f"SELECT {', '.join(columns)} FROM {table.name} WITH NO DATA"
    )
    return name


__all__ = [
    "among",
    "conflict_columns",
    "insert_ids",
    "insert_many",
    "insert_new",
    "move_id_sequences_past",
    "page_cache",
    "read",
    "update_many",
    "write_rows",
    "write_tuples",
]
