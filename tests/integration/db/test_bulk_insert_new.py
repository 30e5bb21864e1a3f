"""``insert_new``: rows whose unique key is new go in once; the keys inserted come back.

On both backends with the ``tracking_events`` table (unique ``(dedup_key, event_time)``,
partitioned by month on PostgreSQL; ``shipment_id`` may be NULL). On PostgreSQL the keys
already stored are looked up first and the rest go in by COPY inside a savepoint; a concurrent
writer storing one of them in between makes the COPY fail, the savepoint is rolled back and the
batch goes through a staging table with ``ON CONFLICT DO NOTHING``. That race is made
deterministic here by rewriting the look-up so it finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Connection, Engine, Table, event, func, select, text

from lanshou.adapters.db.bulk import insert_new
from lanshou.adapters.db.models import TrackingEvent

TABLE = cast(Table, TrackingEvent.__table__)
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 3, 9, 30, tzinfo=CST)
RECEIVED = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
LOOKUP = "SELECT dedup_key FROM tracking_events WHERE dedup_key = ANY("


def row(key: str, minute: int = 0, **extra: Any) -> dict[str, Any]:
    """A tracking_events row (every column the event path writes), keyed ``key``."""
    return {
        "shipment_id": None,
        "carrier_code": "ZTO",
        "waybill_no": f"WB-{key}",
        "status": "in_transit",
        "event_time": T0 + timedelta(minutes=minute),
        "received_at": RECEIVED,
        "location": "杭州",
        "description": f"scan {key}",
        "source": "test",
        "dedup_key": key,
        "raw": None,
    } | extra


def stored(conn: Connection) -> list[tuple[Any, ...]]:
    """Every stored row's content, by key (ids left out: they differ between backends)."""
    rows = conn.execute(
        select(
            TABLE.c.dedup_key,
            TABLE.c.shipment_id,
            TABLE.c.carrier_code,
            TABLE.c.waybill_no,
            TABLE.c.status,
            TABLE.c.event_time,
            TABLE.c.received_at,
            TABLE.c.location,
            TABLE.c.description,
            TABLE.c.source,
            TABLE.c.raw,
        ).order_by(TABLE.c.dedup_key)
    )
    return [tuple(r) for r in rows]


def expected(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What ``stored`` reads back for these rows (times in UTC)."""
    return [
        (
            r["dedup_key"],
            r["shipment_id"],
            r["carrier_code"],
            r["waybill_no"],
            r["status"],
            r["event_time"].astimezone(UTC),
            r["received_at"].astimezone(UTC),
            r["location"],
            r["description"],
            r["source"],
            r["raw"],
        )
        for r in sorted(rows, key=lambda r: r["dedup_key"])
    ]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(TABLE)).scalar_one())


def test_new_rows_are_stored_once_and_their_keys_returned(db_engine: Engine) -> None:
    rows = [
        row("k1", 0, raw={"context": "已揽收", "n": 1}),
        row("k2", 5),
        row("k3", 10, location=None, description=None, carrier_code=None),
    ]
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, rows, "dedup_key") == {"k1", "k2", "k3"}
    with db_engine.connect() as conn:
        assert count(conn) == 3
        assert stored(conn) == expected(rows)


def test_empty_batch_inserts_nothing(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, [], "dedup_key") == set()
    with db_engine.connect() as conn:
        assert count(conn) == 0


def test_second_call_returns_only_the_keys_not_stored_yet(db_engine: Engine) -> None:
    first = [row("a", 0), row("b", 1), row("c", 2)]
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, first, "dedup_key") == {"a", "b", "c"}
    # b and c again (with other content: the stored rows win), d and e new. A key keeps its
    # event time (the dedup key hashes it; the unique key is (dedup_key, event_time)).
    again = [
        row("b", 1, status="delivered"),
        row("d", 3),
        row("c", 2, location="北京"),
        row("e", 4),
    ]
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, again, "dedup_key") == {"d", "e"}
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, first, "dedup_key") == set()
    with db_engine.connect() as conn:
        assert count(conn) == 5
        assert stored(conn) == expected([*first, row("d", 3), row("e", 4)])


def test_duplicate_keys_within_one_call_are_stored_once(db_engine: Engine) -> None:
    rows = [row("x", 0), row("y", 1), row("x", 0), row("z", 2), row("y", 1), row("x", 0)]
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, rows, "dedup_key") == {"x", "y", "z"}
    with db_engine.connect() as conn:
        assert count(conn) == 3
        assert stored(conn) == expected([row("x", 0), row("y", 1), row("z", 2)])
    # Stored keys and in-batch duplicates together.
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, [row("y", 1), row("w", 5), row("w", 5)], "dedup_key") == {
            "w"
        }
    with db_engine.connect() as conn:
        assert count(conn) == 4
        assert [k for k, *_ in stored(conn)] == ["w", "x", "y", "z"]


def test_rows_in_an_uncommitted_transaction_count_as_stored_in_it(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        with conn.begin():
            assert insert_new(conn, TABLE, [row("p", 0)], "dedup_key") == {"p"}
            assert insert_new(conn, TABLE, [row("p", 0), row("q", 1)], "dedup_key") == {"q"}
            assert count(conn) == 2
        with conn.begin() as tx:
            assert insert_new(conn, TABLE, [row("r", 2)], "dedup_key") == {"r"}
            tx.rollback()
    with db_engine.connect() as conn:
        assert [k for k, *_ in stored(conn)] == ["p", "q"]


# ---------------------------------------------------------------- PostgreSQL: the race fallback


# The COPY-then-fallback path is PostgreSQL's: these tests take `db_engine` on PostgreSQL only.
ON_POSTGRESQL = pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)


@pytest.fixture
def pg_engine(db_engine: Engine) -> Engine:
    assert db_engine.dialect.name == "postgresql"
    return db_engine


class Race:
    """Rewrite insert_new's look-up of stored keys so it finds none of them, as if a concurrent
    writer had stored them after the look-up; record every statement the driver sees."""

    def __init__(self) -> None:
        self.active = True
        self.lookups = 0
        self.statements: list[str] = []

    def __call__(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        self.statements.append(statement)
        if self.active and statement.startswith(LOOKUP):
            self.lookups += 1
            where = statement.index(" WHERE ")
            # Keep the array parameter's placeholder: the driver checks their number.
            statement = statement[:where] + " WHERE false AND " + statement[where + 7 :]
        return statement, parameters

    def fallbacks(self) -> int:
        return sum(
            1
            for s in self.statements
            if s.startswith("INSERT INTO tracking_events")
            and "ON CONFLICT (dedup_key, event_time)" in s
        )


@pytest.fixture
def race(pg_engine: Engine) -> Iterator[Race]:
    spy = Race()
    event.listen(pg_engine, "before_cursor_execute", spy, retval=True)
    try:
        yield spy
    finally:
        event.remove(pg_engine, "before_cursor_execute", spy)


@ON_POSTGRESQL
def test_postgresql_without_a_race_copies_and_needs_no_fallback(
    pg_engine: Engine, race: Race
) -> None:
    race.active = False
    with pg_engine.begin() as conn:
        assert insert_new(conn, TABLE, [row("s1", 0)], "dedup_key") == {"s1"}
        assert insert_new(conn, TABLE, [row("s1", 0), row("s2", 1)], "dedup_key") == {"s2"}
    assert sum(1 for s in race.statements if s.startswith(LOOKUP)) == 2
    assert race.fallbacks() == 0
    with pg_engine.connect() as conn:
        assert stored(conn) == expected([row("s1", 0), row("s2", 1)])


@ON_POSTGRESQL
def test_postgresql_race_falls_back_and_keeps_the_transaction_usable(
    pg_engine: Engine, race: Race
) -> None:
    before = row("old", 0, description="stored first", raw={"by": "the other writer"})
    race.active = False
    with pg_engine.begin() as conn:
        assert insert_new(conn, TABLE, [before], "dedup_key") == {"old"}
    race.active = True
    batch = [row("new1", 1), before | {"description": "raced copy"}, row("new2", 2), row("new1", 1)]
    with pg_engine.connect() as conn:
        tx = conn.begin()
        assert insert_new(conn, TABLE, batch, "dedup_key") == {"new1", "new2"}
        assert race.lookups == 1
        assert race.fallbacks() == 1  # the COPY failed on "old": the staging table took over
        # Still usable after the failed COPY: statements work and the insert is visible.
        assert conn.execute(text("SELECT 41 + 1")).scalar_one() == 42
        assert count(conn) == 3
        # A second race in the same transaction reuses the (emptied) staging table.
        assert insert_new(conn, TABLE, [row("new2", 2), row("new3", 3)], "dedup_key") == {"new3"}
        assert race.lookups == 2
        assert race.fallbacks() == 2
        tx.commit()
    with pg_engine.connect() as conn:
        assert count(conn) == 4
        duplicated = conn.execute(
            select(TABLE.c.dedup_key).group_by(TABLE.c.dedup_key).having(func.count() > 1)
        ).all()
        assert duplicated == []
        assert stored(conn) == expected([before, row("new1", 1), row("new2", 2), row("new3", 3)])


@ON_POSTGRESQL
def test_postgresql_race_where_every_key_was_stored_inserts_nothing(
    pg_engine: Engine, race: Race
) -> None:
    rows = [row("m1", 0), row("m2", 1)]
    race.active = False
    with pg_engine.begin() as conn:
        assert insert_new(conn, TABLE, rows, "dedup_key") == {"m1", "m2"}
    race.active = True
    with pg_engine.begin() as conn:
        assert insert_new(conn, TABLE, [*rows, *rows], "dedup_key") == set()
        assert race.fallbacks() == 1
    # The staging table's rows go at commit (ON COMMIT DELETE ROWS) and are deleted after use:
    # a later fallback on a pooled connection sees none of them.
    with pg_engine.begin() as conn:
        assert insert_new(conn, TABLE, [row("m1", 0), row("m3", 2)], "dedup_key") == {"m3"}
        assert race.fallbacks() == 2
    with pg_engine.connect() as conn:
        assert stored(conn) == expected([*rows, row("m3", 2)])
