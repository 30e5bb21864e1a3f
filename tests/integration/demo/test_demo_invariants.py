"""What every demo world must satisfy, and the story a default-size demo must be able to tell."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, OrderItem, Shipment, TrackingEvent
from lanshou.demo import seed_demo

NOW = datetime(2026, 3, 10, 6, 30, tzinfo=UTC)
DAY = timedelta(hours=24)
REMOTE = {"新疆", "西藏", "青海", "内蒙古"}


def load(
    engine: Engine,
) -> tuple[list[Order], list[OrderItem], list[Shipment], list[TrackingEvent]]:
    with Session(engine) as s:
        return (
            list(s.scalars(select(Order))),
            list(s.scalars(select(OrderItem))),
            list(s.scalars(select(Shipment))),
            list(s.scalars(select(TrackingEvent))),
        )


def test_shipments_agree_with_their_events_and_nothing_lies_in_the_future(
    db_engine: Engine,
) -> None:
    seed_demo(db_engine, now=NOW, orders=300, days=10, create_users=False)
    orders, items, shipments, events = load(db_engine)
    orders_by_id = {o.id: o for o in orders}
    by_shipment: dict[int, list[TrackingEvent]] = defaultdict(list)
    for e in events:
        assert e.event_time <= NOW and e.received_at <= NOW
        assert e.received_at >= e.event_time
        by_shipment[e.shipment_id or 0].append(e)
    assert len({s.waybill_no for s in shipments if s.waybill_no}) == sum(
        1 for s in shipments if s.waybill_no
    )
    for s in shipments:
        trail = sorted(by_shipment[s.id], key=lambda e: e.event_time)
        assert s.key == orders_by_id[s.order_id].external_id
        if not trail:
            assert (s.status, s.shipped_at, s.waybill_no) == ("created", None, None)
            continue
        assert s.status == trail[-1].status
        assert s.last_event_at == trail[-1].event_time
        assert s.shipped_at == trail[0].event_time and trail[0].status == "awaiting_pickup"
        assert all(e.waybill_no == s.waybill_no for e in trail)
        pickups = [e.event_time for e in trail if e.status == "picked_up"]
        assert s.picked_up_at == (pickups[0] if pickups else None)
        if s.picked_up_at is not None:
            assert s.shipped_at < s.picked_up_at
            assert all(e.event_time >= s.picked_up_at for e in trail[1:])

    amounts: dict[int, int] = defaultdict(int)
    top: dict[int, int] = defaultdict(int)
    for i in items:
        amounts[i.order_id] += i.unit_price_fen * i.quantity
        top[i.order_id] = max(top[i.order_id], i.unit_price_fen)
    shipment_of = {s.order_id: s for s in shipments}
    for o in orders:
        assert o.amount_fen == amounts[o.id] > 0
        assert NOW - timedelta(days=10) <= o.paid_at <= NOW
        s = shipment_of[o.id]
        assert (s.amount_fen, s.max_unit_price_fen) == (o.amount_fen, top[o.id])
        expected = {"created": "paid", "delivered": "completed"}.get(s.status, "shipped")
        assert o.status == expected
        if s.shipped_at is not None:
            assert s.shipped_at > o.paid_at


def test_a_default_demo_has_pickups_due_soon_and_breaches_to_show(db_engine: Engine) -> None:
    summary = seed_demo(db_engine, now=NOW, create_users=False)
    orders, items, shipments, _events = load(db_engine)
    assert summary.orders == len(orders) == 2000
    waiting = [s for s in shipments if s.shipped_at and s.picked_up_at is None]
    due_soon = [s for s in waiting if NOW - s.shipped_at < DAY]
    open_breach = [s for s in waiting if NOW - s.shipped_at >= DAY]
    late = [s for s in shipments if s.picked_up_at and s.picked_up_at - s.shipped_at > DAY]
    assert len(due_soon) >= 20
    assert len(open_breach) + len(late) >= 40
    assert summary.awaiting_pickup == len(waiting)
    assert summary.awaiting_pickup_over_24h == len(open_breach)
    assert summary.picked_up_after_24h == len(late)
    assert any(
        s.shipped_at - o.paid_at > timedelta(hours=48)
        for s, o in zip(
            sorted(shipments, key=lambda s: s.order_id),
            sorted(orders, key=lambda o: o.id),
            strict=True,
        )
        if s.shipped_at
    )
    assert {o.buyer_province for o in orders} >= REMOTE
    prices = [i.unit_price_fen for i in items]
    assert min(prices) <= 300 and max(prices) > 300_000
    assert {len([i for i in items if i.order_id == o.id]) for o in orders[:300]} == {1, 2, 3}
    assert any(day == NOW.date() for _outlet, day in ((o.outlet, o.day) for o in summary.outages))
