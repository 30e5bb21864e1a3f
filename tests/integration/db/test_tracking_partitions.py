"""Tracking events by month: the dedup key stays unique across partitions, an event of a month
without a partition is kept (DEFAULT) and moves into its month when that is created, and the
migration puts stored events into their months.

Each PostgreSQL test uses months of its own (years far apart): partitions outlive the
truncation between tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Connection, Engine, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from lanshou.adapters.db import partitions
from lanshou.adapters.db.bulk import insert_new
from lanshou.adapters.db.migrate import downgrade, upgrade
from lanshou.adapters.db.models import TrackingEvent
from lanshou.adapters.db.partitions import (
    Month,
    ensure_ahead,
    ensure_partitions,
    monthly_partitions,
)
from lanshou.domain.tracking import TrackingUpdate

TABLE = cast(Table, TrackingEvent.__table__)
CST = timezone(timedelta(hours=8))
ON_POSTGRESQL = pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)


def event_row(at: datetime, received: datetime, waybill: str = "SF100") -> dict[str, Any]:
    """A tracking_events row as the event path writes it, keyed by the domain's dedup key."""
    update = TrackingUpdate(
        waybill_no=waybill,
        status="picked_up",
        event_time=at,
        source="kuaidi100",
        carrier_code="SF",
        description="已揽收",
    )
    return {
        "shipment_id": None,
        "carrier_code": "SF",
        "waybill_no": waybill,
        "status": "picked_up",
        "event_time": at,
        "received_at": received,
        "location": None,
        "description": "已揽收",
        "source": "kuaidi100",
        "dedup_key": update.dedup_key,
        "raw": None,
    }


def partition_of(conn: Connection, key: str) -> list[str]:
    """The partition (table) each stored row of this dedup key sits in."""
    return list(
        conn.execute(
            text("SELECT tableoid::regclass::text FROM tracking_events WHERE dedup_key = :k"),
            {"k": key},
        ).scalars()
    )


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(TABLE)).scalar_one()


def test_the_same_event_received_on_both_sides_of_a_month_boundary_is_stored_once(
    db_engine: Engine,
) -> None:
    # 07:30 in Beijing on 1 February is still January in UTC: the event's month is January.
    at = datetime(2027, 2, 1, 7, 30, tzinfo=CST)
    first = event_row(at, received=datetime(2027, 1, 31, 23, 40, tzinfo=UTC))
    again = event_row(at, received=datetime(2027, 2, 1, 0, 20, tzinfo=UTC))  # next month
    assert first["dedup_key"] == again["dedup_key"]
    with db_engine.begin() as conn:
        ensure_partitions(conn, [Month(2027, 1), Month(2027, 2)])
        assert insert_new(conn, TABLE, [first], "dedup_key") == {first["dedup_key"]}
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, [again], "dedup_key") == set()
    # Not the look-up alone: the database itself refuses the second copy.
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        conn.execute(insert(TABLE).values(**again))
    with db_engine.connect() as conn:
        assert count(conn) == 1
        received = conn.execute(select(TABLE.c.received_at)).scalar_one()
        assert received == datetime(2027, 1, 31, 23, 40, tzinfo=UTC)
        if db_engine.dialect.name == "postgresql":
            assert partition_of(conn, first["dedup_key"]) == ["tracking_events_p202701"]


@ON_POSTGRESQL
def test_an_event_of_a_month_without_partition_is_kept_then_moves_into_its_month(
    db_engine: Engine,
) -> None:
    row = event_row(datetime(2031, 5, 9, 8, 0, tzinfo=UTC), datetime(2031, 5, 9, 8, 1, tzinfo=UTC))
    with db_engine.begin() as conn:
        assert Month(2031, 5) not in monthly_partitions(conn)
        assert insert_new(conn, TABLE, [row], "dedup_key") == {row["dedup_key"]}
        assert partition_of(conn, row["dedup_key"]) == ["tracking_events_default"]
    with db_engine.begin() as conn:
        assert ensure_partitions(conn, [Month(2031, 5), Month(2031, 6)]) == [
            Month(2031, 5),
            Month(2031, 6),
        ]
    with db_engine.begin() as conn:
        assert partition_of(conn, row["dedup_key"]) == ["tracking_events_p203105"]
        assert insert_new(conn, TABLE, [row], "dedup_key") == set()  # still a duplicate
        assert count(conn) == 1


@ON_POSTGRESQL
def test_an_event_written_while_its_month_is_created_waits_and_lands_in_the_new_partition(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inbox drainer writes events while the worker creates a partition. One of the month
    written into DEFAULT between the move and the ATTACH made the ATTACH fail, on every sweep
    for as long as the feed sent events of that month (seen under load at 1 M orders)."""
    kept = event_row(datetime(2045, 6, 2, tzinfo=UTC), datetime(2045, 6, 2, tzinfo=UTC), "SF1")
    late = event_row(datetime(2045, 6, 3, tzinfo=UTC), datetime(2045, 6, 3, tzinfo=UTC), "SF2")
    with db_engine.begin() as conn:
        insert_new(conn, TABLE, [kept], "dedup_key")  # into DEFAULT: no partition yet
    refused: list[str] = []
    real_in_month = partitions._in_month

    def write_after_the_move(conn: Connection, sql: str, month: Month) -> Any:
        result = real_in_month(conn, sql, month)
        if sql.startswith("WITH moved"):
            with db_engine.connect() as other:
                other.execute(text("SET lock_timeout = '300ms'"))
                try:
                    other.execute(insert(TABLE).values(**late))
                    other.commit()
                except OperationalError as exc:
                    refused.append(type(exc.orig).__name__)
        return result

    monkeypatch.setattr(partitions, "_in_month", write_after_the_move)
    with db_engine.begin() as conn:
        assert ensure_partitions(conn, [Month(2045, 6)]) == [Month(2045, 6)]
    assert refused == ["LockNotAvailable"]  # the writer waited for the partition
    with db_engine.begin() as conn:
        assert insert_new(conn, TABLE, [late], "dedup_key") == {late["dedup_key"]}
        assert partition_of(conn, kept["dedup_key"]) == ["tracking_events_p204506"]
        assert partition_of(conn, late["dedup_key"]) == ["tracking_events_p204506"]


@ON_POSTGRESQL
def test_a_partition_is_created_while_a_writer_holds_another_months_insert_open(
    db_engine: Engine,
) -> None:
    """``CREATE TABLE … PARTITION OF`` waited for every writer of the table (ACCESS
    EXCLUSIVE on it) and deadlocked with the drainer; attaching needs none of their locks."""
    with db_engine.begin() as conn:
        ensure_partitions(conn, [Month(2046, 1)])
    row = event_row(datetime(2046, 1, 5, tzinfo=UTC), datetime(2046, 1, 5, tzinfo=UTC))
    with db_engine.connect() as writer:
        writer.execute(insert(TABLE).values(**row))  # open: holds its locks until rollback
        with db_engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            assert ensure_partitions(conn, [Month(2046, 3)]) == [Month(2046, 3)]
        writer.rollback()
    with db_engine.connect() as conn:
        assert Month(2046, 3) in monthly_partitions(conn)


@ON_POSTGRESQL
def test_ensure_ahead_creates_this_month_and_the_next_two_once_across_a_year_end(
    db_engine: Engine,
) -> None:
    now = datetime(2040, 12, 31, 20, 0, tzinfo=CST)  # still December in UTC and in Beijing
    with db_engine.begin() as conn:
        assert ensure_ahead(conn, now) == [Month(2040, 12), Month(2041, 1), Month(2041, 2)]
    with db_engine.begin() as conn:
        assert ensure_ahead(conn, now) == []
        have = [m for m in monthly_partitions(conn) if m.year in (2040, 2041)]
        assert have == [Month(2040, 12), Month(2041, 1), Month(2041, 2)]


@pytest.mark.parametrize("db_engine", ["sqlite"], indirect=True)
def test_ensure_partitions_is_a_no_op_on_sqlite(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        assert ensure_ahead(conn, datetime(2026, 12, 4, tzinfo=UTC)) == []
        assert monthly_partitions(conn) == []


def test_the_migration_keeps_stored_events_and_ids_and_puts_them_into_their_months(
    db_engine: Engine,
) -> None:
    downgrade(db_engine, "0018")
    rows = [
        event_row(datetime(2035, 3, 31, 23, 59, tzinfo=UTC), datetime(2035, 4, 1, tzinfo=UTC)),
        event_row(datetime(2035, 4, 1, 0, 0, tzinfo=UTC), datetime(2035, 4, 1, tzinfo=UTC), "Y"),
        event_row(datetime(2035, 4, 2, 0, 0, tzinfo=UTC), datetime(2035, 4, 2, tzinfo=UTC), "Z"),
    ]
    with db_engine.begin() as conn:
        conn.execute(insert(TABLE), rows)
        before = conn.execute(select(TABLE).order_by(TABLE.c.id)).all()
    upgrade(db_engine)
    with db_engine.begin() as conn:
        assert conn.execute(select(TABLE).order_by(TABLE.c.id)).all() == before
        ids = [r.id for r in before]
        # New rows take ids after the moved ones (PostgreSQL: the sequence came along).
        new = event_row(datetime(2035, 4, 3, tzinfo=UTC), datetime(2035, 4, 3, tzinfo=UTC), "N")
        conn.execute(insert(TABLE).values(**new))
        assert conn.execute(select(func.max(TABLE.c.id))).scalar_one() == ids[2] + 1
        # The unique key is (dedup_key, event_time) on both databases.
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(insert(TABLE).values(**new))
        if db_engine.dialect.name != "postgresql":
            return
        assert [m for m in monthly_partitions(conn) if m.year == 2035] == [
            Month(2035, 3),
            Month(2035, 4),
        ]
        placed = conn.execute(
            text(
                "SELECT id, tableoid::regclass::text FROM tracking_events "
                "WHERE event_time < '2035-04-03' ORDER BY id"
            )
        ).all()
        assert placed == [
            (ids[0], "tracking_events_p203503"),
            (ids[1], "tracking_events_p203504"),
            (ids[2], "tracking_events_p203504"),
        ]
