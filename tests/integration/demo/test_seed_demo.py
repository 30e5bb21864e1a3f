"""seed_demo on SQLite and PostgreSQL: counts, reproducibility, invariants, refusal, replace."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    Carrier,
    Deadline,
    Order,
    Platform,
    Shipment,
    Shop,
    ShopMembership,
    TrackingEvent,
    User,
)
from lanshou.adapters.db.partitions import Month, monthly_partitions
from lanshou.demo import DemoDataExists, database_is_empty, seed_demo
from lanshou.demo.seed import event_months
from tests.integration.demo.digest import world_digest

NOW = datetime(2026, 3, 10, 6, 30, tzinfo=UTC)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seeding_writes_three_shops_on_two_platforms_and_n_orders(db_engine: Engine) -> None:
    calls: list[tuple[int, int]] = []
    summary = seed_demo(
        db_engine,
        now=NOW,
        orders=300,
        create_users=False,
        progress=lambda done, total: calls.append((done, total)),
    )
    with Session(db_engine) as s:
        assert count(s, Shop) == 3
        assert sorted(s.scalars(select(Platform.profile))) == ["douyin", "pinduoduo"]
        assert count(s, Carrier) == 8
        assert count(s, Order) == 300
        assert count(s, Shipment) == 300
        assert count(s, User) == 0
    assert (summary.shops, summary.platforms, summary.carriers, summary.orders) == (3, 2, 8, 300)
    assert summary.users == ()
    assert calls[-1] == (300, 300)


def test_users_are_created_only_when_asked_with_their_shops(db_engine: Engine) -> None:
    summary = seed_demo(db_engine, now=NOW, orders=50, create_users=True)
    assert [u.username for u in summary.users] == ["merchant", "staff", "cs", "reviewer", "admin"]
    with Session(db_engine) as s:
        users = {u.username: u for u in s.scalars(select(User))}
        assert {n: u.role for n, u in users.items()} == {
            "merchant": "merchant_owner",
            "staff": "merchant_staff",
            "cs": "cs_agent",
            "reviewer": "reviewer",
            "admin": "admin",
        }
        assert PasswordHasher().verify(users["merchant"].password_hash, "lanshou-demo")

        def shops_of(name: str) -> set[str]:
            return set(
                s.scalars(
                    select(Shop.code)
                    .join(ShopMembership, ShopMembership.shop_id == Shop.id)
                    .where(ShopMembership.user_id == users[name].id)
                )
            )

        assert shops_of("merchant") == {"demo-dy-hemu", "demo-dy-yuewei"}
        assert shops_of("staff") == {"demo-dy-hemu"}
        assert shops_of("cs") == set()


def test_same_seed_and_now_give_identical_rows_and_another_seed_does_not(
    db_engine: Engine,
) -> None:
    seed_demo(db_engine, now=NOW, orders=300, seed=11, create_users=False)
    first = world_digest(db_engine)
    seed_demo(db_engine, now=NOW, orders=300, seed=11, create_users=False, replace=True)
    assert world_digest(db_engine) == first
    seed_demo(db_engine, now=NOW, orders=300, seed=12, create_users=False, replace=True)
    assert world_digest(db_engine) != first


def test_a_database_with_orders_is_refused_and_left_unchanged(db_engine: Engine) -> None:
    assert database_is_empty(db_engine)
    seed_demo(db_engine, now=NOW, orders=40, create_users=False)
    assert not database_is_empty(db_engine)
    before = world_digest(db_engine)
    with pytest.raises(DemoDataExists):
        seed_demo(db_engine, now=NOW + timedelta(days=1), orders=40, create_users=False)
    assert world_digest(db_engine) == before


def test_replace_removes_earlier_demo_data_including_rule_output(db_engine: Engine) -> None:
    seed_demo(db_engine, now=NOW, orders=40, create_users=True)
    with Session(db_engine) as s, s.begin():
        shipment = s.scalars(select(Shipment).limit(1)).one()
        order = s.get(Order, shipment.order_id)
        assert order is not None
        s.add(
            Deadline(
                shipment_id=shipment.id,
                shop_id=order.shop_id,
                profile="douyin",
                rule_id="pickup_timeout",
                state="pending",
                evaluated_at=NOW,
            )
        )
    summary = seed_demo(db_engine, now=NOW, orders=25, create_users=True, replace=True)
    with Session(db_engine) as s:
        assert count(s, Order) == 25
        assert count(s, Deadline) == 0
        assert count(s, Shop) == 3
        assert count(s, User) == 5
        assert count(s, ShopMembership) == 3
    assert summary.orders == 25


def test_later_inserts_get_fresh_ids_after_explicit_keys(db_engine: Engine) -> None:
    seed_demo(db_engine, now=NOW, orders=30, create_users=False)
    with Session(db_engine) as s, s.begin():
        shop_id = s.scalars(select(Shop.id).limit(1)).one()
        order = Order(
            shop_id=shop_id,
            external_id="manual-1",
            status="paid",
            paid_at=NOW,
            amount_fen=100,
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(order)
        s.flush()
        assert order.id == 31


def test_dedup_keys_are_the_sha256_of_waybill_status_time_and_description(
    db_engine: Engine,
) -> None:
    seed_demo(db_engine, now=NOW, orders=20, create_users=False)
    with db_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT waybill_no, status, event_time, description, dedup_key FROM tracking_events"
        ).all()
    with Session(db_engine) as s:
        events = s.scalars(select(TrackingEvent)).all()
    assert len(events) == len(rows) > 20
    for e in events:
        text = f"{e.waybill_no}|{e.status}|{e.event_time.isoformat()}|{e.description}"
        assert e.dedup_key == hashlib.sha256(text.encode()).hexdigest()
        assert e.source == "demo"
        assert e.event_time.tzinfo is not None


def test_the_forked_generator_writes_exactly_what_the_in_process_one_does(
    db_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lanshou.demo import pipeline, seed

    monkeypatch.setattr(seed, "CHUNK_ORDERS", 64)
    seed_demo(db_engine, now=NOW, orders=300, create_users=False)
    in_process = world_digest(db_engine)
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_ORDERS", 1)
    summary = seed_demo(db_engine, now=NOW, orders=300, create_users=False, replace=True)
    assert world_digest(db_engine) == in_process
    assert summary.tracking_events > 300 and summary.awaiting_pickup > 0


def test_a_failure_half_way_leaves_no_half_demo_behind(
    db_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lanshou.demo import seed

    real_write = seed.write_tuples
    written: list[str] = []

    def failing_write(conn, table, columns, rows):  # type: ignore[no-untyped-def]
        written.append(table.name)
        if len(written) > 5:
            raise OSError("disk full")
        real_write(conn, table, columns, rows)

    monkeypatch.setattr(seed, "CHUNK_ORDERS", 50)
    monkeypatch.setattr(seed, "write_tuples", failing_write)
    with pytest.raises(OSError, match="disk full"):
        seed_demo(db_engine, now=NOW, orders=200, create_users=False)
    assert database_is_empty(db_engine)
    with Session(db_engine) as s:
        assert count(s, Shop) == 0


@pytest.mark.parametrize("db_engine", ["postgresql"], indirect=True)
def test_every_event_is_written_into_its_months_partition_none_into_default(
    db_engine: Engine,
) -> None:
    """The worker keeps the months' partitions ahead; a seeded world has them too, so the
    server's first sweep has no events to move out of DEFAULT under traffic. (A year of its
    own: partitions outlive the truncation between tests.)"""
    now = datetime(2038, 3, 10, 6, 30, tzinfo=UTC)
    seed_demo(db_engine, now=now, orders=200, days=45, create_users=False)
    with db_engine.connect() as conn:
        where = dict(
            conn.execute(
                text("SELECT tableoid::regclass::text, count(*) FROM tracking_events GROUP BY 1")
            ).all()
        )
        have = [m for m in monthly_partitions(conn) if m.year == 2038]
    # 45 days before 10 March 2038 (and the hour before) is in January; two months ahead: May.
    assert have == [Month(2038, m) for m in (1, 2, 3, 4, 5)]
    assert sorted(where) == [
        "tracking_events_p203801",
        "tracking_events_p203802",
        "tracking_events_p203803",
    ]
    with Session(db_engine) as s:
        assert sum(where.values()) == count(s, TrackingEvent) > 200


def test_event_months_run_from_the_first_event_to_two_months_past_now() -> None:
    first = datetime(2026, 11, 30, 23, 0, tzinfo=timezone(timedelta(hours=-1)))  # December UTC
    assert event_months(first, datetime(2027, 1, 5, tzinfo=UTC)) == [
        Month(2026, 12),
        Month(2027, 1),
        Month(2027, 2),
        Month(2027, 3),
    ]
