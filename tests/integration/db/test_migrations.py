"""The migrations build exactly the schema the models describe, on both backends, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from lanshou.adapters.db.migrate import compared, downgrade, upgrade
from lanshou.adapters.db.models import Base, Platform, Shop


def test_migrated_schema_matches_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": compared})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(db_engine: Engine) -> None:
    downgrade(db_engine, "base")
    assert set(inspect(db_engine).get_table_names()) <= {"alembic_version"}
    upgrade(db_engine)
    assert set(Base.metadata.tables) <= set(inspect(db_engine).get_table_names())


def test_datetimes_come_back_aware_and_in_utc(sessions) -> None:  # type: ignore[no-untyped-def]
    shanghai = timezone(timedelta(hours=8))
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖音", profile="douyin"))
        s.add(Shop(id=1, platform_id=1, code="s1", name="店"))
        s.commit()
    from lanshou.adapters.db.models import Order

    paid = datetime(2026, 10, 1, 9, 30, tzinfo=shanghai)
    with sessions() as s:
        s.add(
            Order(
                shop_id=1,
                external_id="o1",
                status="paid",
                paid_at=paid,
                amount_fen=1230,
                quantity=1,
                created_at=paid,
                updated_at=paid,
            )
        )
        s.commit()
    with sessions() as s:
        got = s.execute(select(Order.paid_at)).scalar_one()
    assert got == paid
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import StatementError

    from lanshou.adapters.db.models import Order

    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖音", profile="douyin"))
        s.add(Shop(id=1, platform_id=1, code="s1", name="店"))
        s.add(
            Order(
                shop_id=1,
                external_id="o1",
                status="paid",
                paid_at=datetime(2026, 1, 1),
                amount_fen=1,
                quantity=1,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
        with pytest.raises(StatementError, match="naive datetime"):
            s.commit()


def test_start_up_check_migrates_a_database_below_head_and_leaves_a_current_one_alone(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lanshou.adapters.db import migrate

    assert migrate.stored_revisions(db_engine) == [migrate.HEAD]
    monkeypatch.setattr(migrate, "upgrade", _refuse)
    migrate.ensure_current(db_engine)  # current: one query, no Alembic
    monkeypatch.undo()

    downgrade(db_engine, "0006")
    assert migrate.stored_revisions(db_engine) == ["0006"]
    migrate.ensure_current(db_engine)
    assert migrate.stored_revisions(db_engine) == [migrate.HEAD]

    downgrade(db_engine, "base")
    assert migrate.stored_revisions(db_engine) == []
    migrate.ensure_current(db_engine)
    assert migrate.stored_revisions(db_engine) == [migrate.HEAD]
    assert set(Base.metadata.tables) <= set(inspect(db_engine).get_table_names())


def test_a_database_never_migrated_has_no_revision(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lanshou.adapters.db.engine import make_engine
    from lanshou.adapters.db.migrate import ensure_current, stored_revisions

    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert stored_revisions(engine) == []
        ensure_current(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _refuse(*_: object, **__: object) -> None:
    raise AssertionError("a current database must not run the migrations")


def test_0014_gives_contacts_logged_before_it_their_typing_time_as_recorded_at(
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import text

    from lanshou.adapters.db.models import Communication

    engine = sessions.kw["bind"]
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖音", profile="douyin"))
        s.add(Shop(id=1, platform_id=1, code="s1", name="店"))
        s.commit()
    downgrade(engine, "0013")
    typed = datetime(2026, 11, 29, 9, 15, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO communications (id, shop_id, counterpart_kind, counterpart_name, "
                "channel, occurred_at, summary) "
                "VALUES (7, 1, 'courier', '', 'phone', :at, '催揽收')"
            ),
            {"at": typed.isoformat() if engine.dialect.name == "sqlite" else typed},
        )
    upgrade(engine)
    with sessions() as s:
        row = s.get_one(Communication, 7)
        assert (row.occurred_at, row.recorded_at) == (typed, typed)
    recorded = [
        c for c in inspect(engine).get_columns("communications") if c["name"] == "recorded_at"
    ]
    assert [c["nullable"] for c in recorded] == [False]
