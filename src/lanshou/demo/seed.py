"""``seed_demo``: fill a database with a believable, reproducible demo world.

Three shops on two platforms, the eight big carriers with outlets and couriers in each origin
city, and ``orders`` orders paid over the last ``days`` days before ``now``, each with one
shipment and the tracking events that would have arrived by ``now``. Same ``now`` and ``seed``
give the same rows. Deadlines are left to the rules service, which evaluates after seeding.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from holidays.countries.china import China
from sqlalchemy import Connection, Engine, Table, exists, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import move_id_sequences_past, page_cache, write_tuples
from lanshou.adapters.db.dialect import utc_text_suffix
from lanshou.adapters.db.models import Order, OrderItem, Shipment, TrackingEvent
from lanshou.adapters.db.partitions import Month, ensure_partitions
from lanshou.demo.bulk import TimeText, check_columns, next_id
from lanshou.demo.catalogue import SHOPS
from lanshou.demo.pipeline import chunks
from lanshou.demo.purge import purge_demo
from lanshou.demo.rhythm import paid_times
from lanshou.demo.timeline import (
    EVENT_COLUMNS,
    ITEM_COLUMNS,
    ORDER_COLUMNS,
    SHIPMENT_COLUMNS,
    OrderFactory,
)
from lanshou.demo.users import DemoLogin, upsert_demo_users
from lanshou.demo.world import build_world, outage_list
from lanshou.errors import Conflict, InvalidInput

CHUNK_ORDERS = 20_000
BIG_TABLES: tuple[tuple[Table, tuple[str, ...]], ...] = tuple(
    (cast(Table, model.__table__), columns)
    for model, columns in (
        (Order, ORDER_COLUMNS),
        (OrderItem, ITEM_COLUMNS),
        (Shipment, SHIPMENT_COLUMNS),
        (TrackingEvent, EVENT_COLUMNS),
    )
)


class DemoDataExists(Conflict):
    """The database already holds orders; seeding again needs ``replace=True``."""


@dataclass(frozen=True)
class DemoOutage:
    outlet: str
    day: date  # local (China) date on which the outlet picked up nothing


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    now: datetime
    window_start: datetime
    platforms: int
    shops: int
    carriers: int
    outlets: int
    couriers: int
    orders: int
    order_items: int
    shipments: int
    tracking_events: int
    not_shipped: int  # paid, not yet marked shipped
    awaiting_pickup: int  # marked shipped, no pickup scan by now
    awaiting_pickup_over_24h: int  # … and marked more than 24 h ago
    picked_up_after_24h: int  # pickup scan more than 24 h after marking
    delivered: int
    outages: tuple[DemoOutage, ...]
    users: tuple[DemoLogin, ...]  # empty unless create_users
    elapsed_seconds: float


def database_is_empty(engine: Engine) -> bool:
    """True when there is no order at all (``lanshou demo seed --if-empty``)."""
    with engine.connect() as conn:
        return not conn.execute(select(exists().where(Order.id.is_not(None)))).scalar_one()


def _holiday_days(start: datetime, now: datetime) -> set[int]:
    years = range(start.year, now.year + 2)
    return {(d - date(1970, 1, 1)).days for d in China(years=years)}


def _cache_kib(orders: int) -> int:
    """A page cache that holds the indexes being built: the unique dedup_key index takes random
    inserts (it is a hash). About 1 KiB per order, 1 GiB at most."""
    return min(max(orders, 2000), 1_048_576)


def event_months(first: datetime, now: datetime, ahead: int = 2) -> list[Month]:
    """The months of the demo's tracking events (``first`` … ``now``) and ``ahead`` more, as
    the worker keeps them: their partitions exist before the events are written (PostgreSQL).
    Written into the DEFAULT partition instead, they would all be moved by the server's first
    sweep, under whatever traffic it has by then."""
    months, last = [Month.of(first)], Month.of(now).plus(ahead)
    while months[-1] < last:
        months.append(months[-1].plus(1))
    return months


def seed_demo(
    engine: Engine,
    *,
    now: datetime,
    orders: int = 2000,
    days: int = 30,
    seed: int = 7,
    create_users: bool,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the demo world in one transaction; refuse a database with orders unless ``replace``."""
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware", field="now")
    if orders < 0 or days < 1:
        raise InvalidInput("orders must be >= 0 and days >= 1", orders=orders, days=days)
    for table, columns in BIG_TABLES:
        check_columns(table, columns)
    started = time.perf_counter()
    now_ts = int(now.timestamp())
    start = now - timedelta(days=days)
    start_ts = int(start.timestamp())
    rng = random.Random(seed)
    with engine.begin() as conn:
        if not replace and conn.execute(select(exists().where(Order.id.is_not(None)))).scalar():
            raise DemoDataExists("the database already has orders; use replace to re-seed the demo")
        purge_demo(conn)
        ensure_partitions(conn, event_months(start - timedelta(hours=1), now))
        with Session(bind=conn) as session:
            world = build_world(session, rng, start_ts=start_ts, now_ts=now_ts)
            logins: list[DemoLogin] = []
            if create_users:
                shops = {s.code: (world.shop_ids[i], s.name) for i, s in enumerate(SHOPS)}
                logins = upsert_demo_users(session, shops, now)
            session.flush()
        first_ids = {t.name: next_id(conn, t) for t, _c in BIG_TABLES}
        utc_suffix = utc_text_suffix(conn)
    factory = OrderFactory(
        world,
        rng,
        TimeText(utc_suffix, start_ts - 3600, now_ts),
        now_ts=now_ts,
        first_ids=first_ids,
        holidays=_holiday_days(start, now),
    )
    times = paid_times(rng, orders, start_ts=start_ts, now_ts=now_ts)
    counts = dict.fromkeys(first_ids, 0)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short tuples: the cyclic collector would rescan them all
    try:
        with engine.connect() as conn, page_cache(conn, kib=_cache_kib(orders)):
            _load(conn, factory, times, counts, progress)
            move_id_sequences_past(conn, [t for t, _c in BIG_TABLES])
            conn.commit()
    except BaseException:
        with engine.begin() as conn:
            purge_demo(conn)  # never leave half a demo behind
        raise
    finally:
        if gc_was_enabled:
            gc.enable()
    tally = factory.tally
    return DemoSummary(
        seed=seed,
        now=now,
        window_start=start,
        platforms=len(world.platform_ids),
        shops=len(world.shop_ids),
        carriers=len(world.carrier_ids),
        outlets=len(world.outlets),
        couriers=sum(len(o.couriers) for o in world.outlets),
        orders=counts["orders"],
        order_items=counts["order_items"],
        shipments=counts["shipments"],
        tracking_events=counts["tracking_events"],
        not_shipped=tally.not_shipped,
        awaiting_pickup=tally.awaiting_pickup,
        awaiting_pickup_over_24h=tally.awaiting_pickup_over_24h,
        picked_up_after_24h=tally.picked_up_after_24h,
        delivered=tally.delivered,
        outages=tuple(DemoOutage(name, day) for name, day in outage_list(world)),
        users=tuple(logins),
        elapsed_seconds=round(time.perf_counter() - started, 2),
    )


def _load(
    conn: Connection,
    factory: OrderFactory,
    times: list[int],
    counts: dict[str, int],
    progress: Callable[[int, int], None] | None,
) -> None:
    """Write chunk by chunk in one transaction (committed by the caller)."""
    total, done = len(times), 0
    for chunk in chunks(factory, times, CHUNK_ORDERS):
        for (table, columns), rows in zip(
            BIG_TABLES, (chunk.orders, chunk.items, chunk.shipments, chunk.events), strict=True
        ):
            write_tuples(conn, table, columns, rows)
            counts[table.name] += len(rows)
        done = min(done + CHUNK_ORDERS, total)
        if progress is not None:
            progress(done, total)
