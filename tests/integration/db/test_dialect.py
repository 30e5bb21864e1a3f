"""The operations of ``adapters.db.dialect`` (and the bulk writer's) give the same results on
SQLite and PostgreSQL; the locks lock on PostgreSQL and are no-ops under SQLite's single writer.

``alert_cursors`` (a name and a number, no foreign keys) is the table the upserts and claims
are tried on.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Date, Engine, Table, func, insert, literal, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.bulk import among, move_id_sequences_past, page_cache, write_tuples
from lanshou.adapters.db.dialect import (
    LockKey,
    advisory_xact_lock,
    claim_skip_locked,
    database_file_missing,
    insert_ignoring_conflicts,
    upsert,
    utc_text_suffix,
    week_start,
)
from lanshou.adapters.db.engine import make_engine
from lanshou.adapters.db.models import TrackingEvent
from lanshou.adapters.db.models.alerts import AlertCursor
from lanshou.analytics.period import local_day

CST = timezone(timedelta(hours=8))
EVENTS = cast(Table, TrackingEvent.__table__)


def _on_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _cursors(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(select(AlertCursor.name, AlertCursor.last_id).order_by(AlertCursor.name))
    return [(name, last_id) for name, last_id in rows]


def _store_cursors(sessions: sessionmaker[Session], *names: str) -> None:
    with sessions.begin() as session:
        session.execute(insert(AlertCursor), [{"name": n, "last_id": 0} for n in names])


def test_an_upsert_twice_keeps_one_row_with_the_second_values(
    sessions: sessionmaker[Session],
) -> None:
    for last_id in (4, 9):
        with sessions.begin() as session:
            session.execute(
                upsert(
                    session, AlertCursor, key=["name"], set_=lambda new: {"last_id": new.last_id}
                ).values(name="warnings", last_id=last_id)
            )
    with sessions() as session:
        assert _cursors(session) == [("warnings", 9)]


def test_an_upsert_can_add_the_new_value_to_the_stored_one(
    sessions: sessionmaker[Session],
) -> None:
    table = cast(Table, AlertCursor.__table__)
    with sessions.begin() as session:
        stmt = upsert(
            session,
            table,
            key=["name"],
            set_=lambda new: {"last_id": table.c.last_id + new.last_id},
        )
        session.execute(stmt, [{"name": "audit", "last_id": 5}, {"name": "other", "last_id": 1}])
        session.execute(stmt, [{"name": "audit", "last_id": 7}])
    with sessions() as session:
        assert _cursors(session) == [("audit", 12), ("other", 1)]


def test_an_insert_ignoring_conflicts_keeps_the_stored_row_and_returns_only_new_ones(
    sessions: sessionmaker[Session],
) -> None:
    returned = []
    for rows in (
        [{"name": "a", "last_id": 1}],
        [{"name": "a", "last_id": 2}, {"name": "b", "last_id": 3}],
    ):
        with sessions.begin() as session:
            stmt = insert_ignoring_conflicts(session, AlertCursor, key=["name"])
            returned.append(
                sorted(session.execute(stmt.values(rows).returning(AlertCursor.name)).scalars())
            )
    assert returned == [["a"], ["b"]]
    with sessions() as session:
        assert _cursors(session) == [("a", 1), ("b", 3)]


def _claim(session: Session) -> list[str]:
    query = claim_skip_locked(select(AlertCursor.name).order_by(AlertCursor.name).limit(2))
    return list(session.execute(query).scalars())


def test_two_claims_side_by_side_get_disjoint_rows_on_postgresql(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _store_cursors(sessions, "a", "b", "c", "d", "e")
    with sessions() as first, sessions() as second:
        claims = [_claim(first), _claim(second)]
        first.commit()
        claims.append(_claim(first))  # the first's locks ended with its transaction
    if _on_postgresql(db_engine):
        assert claims == [["a", "b"], ["c", "d"], ["a", "b"]]
    else:  # no row locks: SQLite's single writer keeps two claims that write apart
        assert claims == [["a", "b"], ["a", "b"], ["a", "b"]]


def test_the_advisory_lock_makes_a_second_transaction_wait_for_the_first_on_postgresql(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    if not _on_postgresql(db_engine):
        pytest.skip("PostgreSQL only: SQLite has no advisory locks (the no-op is tested below)")
    order: list[str] = []

    def second() -> None:
        with sessions.begin() as session:
            advisory_xact_lock(session, LockKey.AUDIT_CHAIN)
            order.append("second locked")

    with sessions() as first:
        advisory_xact_lock(first, LockKey.AUDIT_CHAIN)
        held = first.execute(
            text(
                "SELECT classid, objid, objsubid FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        ).all()
        waiter = threading.Thread(target=second)
        waiter.start()
        # The second transaction is queued behind the lock before the first lets go.
        for _ in range(1000):
            waiting = first.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            if waiting or not waiter.is_alive():
                break
            waiter.join(0.01)
        assert waiting == 1
        order.append("first committed")
        first.commit()
        waiter.join(10)
    assert [tuple(r) for r in held] == [(0, 7356001, 1)]  # the number older versions lock
    assert order == ["first committed", "second locked"]


def test_the_advisory_lock_refuses_a_second_holder_of_the_same_key_only_on_postgresql(
    db_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions() as first, sessions() as second:
        advisory_xact_lock(first, LockKey.ANALYTICS_REFRESH)
        if _on_postgresql(db_engine):
            second.execute(text("SET LOCAL lock_timeout = '50ms'"))
            advisory_xact_lock(second, LockKey.AUDIT_CHAIN)  # another key: no wait
            with pytest.raises(OperationalError, match="lock timeout"):
                advisory_xact_lock(second, LockKey.ANALYTICS_REFRESH)
            second.rollback()
        else:
            # A no-op: the second takes the "lock" and writes while the first, in a
            # transaction that read the table, still holds it.
            assert _cursors(first) == []
            advisory_xact_lock(second, LockKey.ANALYTICS_REFRESH)
            second.execute(insert(AlertCursor).values(name="written", last_id=1))
            second.commit()
        first.commit()
    with sessions() as session:
        assert _cursors(session) == ([] if _on_postgresql(db_engine) else [("written", 1)])


@pytest.mark.parametrize(
    "at, monday",
    [
        (datetime(2026, 3, 8, 23, 59, 59, tzinfo=CST), date(2026, 3, 2)),  # Sunday, last second
        (datetime(2026, 3, 9, 0, 0, 0, tzinfo=CST), date(2026, 3, 9)),  # Monday (Sunday in UTC)
        (datetime(2026, 3, 15, 12, 0, tzinfo=CST), date(2026, 3, 9)),  # the next Sunday
        (datetime(2027, 1, 1, 8, 0, tzinfo=CST), date(2026, 12, 28)),  # across the new year
    ],
)
def test_the_week_starts_on_the_monday_of_the_beijing_day(
    session: Session, at: datetime, monday: date
) -> None:
    day = local_day(at)
    assert session.execute(select(week_start(session, literal(day, Date)))).scalar_one() == monday


def test_among_matches_exactly_the_values_given_however_many(session: Session) -> None:
    names = [f"n{i:04d}" for i in range(1500)]
    session.execute(insert(AlertCursor), [{"name": n, "last_id": i} for i, n in enumerate(names)])
    conn = session.connection()

    def matched(values: list[str]) -> list[str]:
        q = select(AlertCursor.name).where(among(conn, AlertCursor.name, values))
        return sorted(session.execute(q.order_by(AlertCursor.name)).scalars())

    assert matched([*names[::3], "absent"]) == names[::3]
    assert matched([]) == []


def test_rows_written_as_driver_text_read_back_as_the_same_instant_and_ids_go_on(
    db_engine: Engine,
) -> None:
    received = datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    columns = ["id", "waybill_no", "status", "event_time", "received_at", "source", "dedup_key"]
    with db_engine.connect() as conn:
        if _on_postgresql(db_engine):  # text without a zone would be read as Beijing time
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Shanghai'")
        stamp = "2026-03-08 16:00:00.000000" + utc_text_suffix(conn)
        write_tuples(conn, EVENTS, columns, [(41, "WB1", "in_transit", stamp, stamp, "test", "k1")])
        move_id_sequences_past(conn, [EVENTS])
        conn.execute(
            insert(EVENTS).values(
                waybill_no="WB2",
                status="in_transit",
                event_time=received,
                received_at=received,
                source="test",
                dedup_key="k2",
            )
        )
        conn.commit()
        rows = conn.execute(
            select(EVENTS.c.id, EVENTS.c.event_time, EVENTS.c.received_at).order_by(EVENTS.c.id)
        ).all()
        later = conn.execute(
            select(func.count()).where(EVENTS.c.event_time > received - timedelta(seconds=1))
        ).scalar_one()
    assert [tuple(r) for r in rows] == [(41, received, received), (42, received, received)]
    assert later == 2  # the text compares as the instant it names


def test_the_page_cache_is_widened_for_a_sqlite_bulk_load_and_put_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    with engine.connect() as conn:
        with page_cache(conn, kib=65_536):
            during = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        after = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    engine.dispose()
    assert (during, after) == (-65_536, -2000)


def test_a_missing_database_file_is_told_apart_from_an_existing_one_and_a_server(
    tmp_path: Path,
) -> None:
    stored = tmp_path / "lanshou.db"
    stored.write_bytes(b"")
    assert database_file_missing(f"sqlite:///{stored}") is False
    assert database_file_missing(f"sqlite:///{tmp_path / 'absent.db'}") is True
    assert database_file_missing(f"sqlite:///{tmp_path}") is True  # a directory is no database
    assert database_file_missing("sqlite:///:memory:") is True
    assert database_file_missing("sqlite://") is True
    assert database_file_missing("postgresql+psycopg://u@db.invalid/lanshou") is False
