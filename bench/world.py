"""Bulk-built benchmark databases: orders, shipped shipments and their stored deadlines.

No ORM objects and no evaluation: rows go in with SQLAlchemy Core executemany in big chunks on
SQLite and with COPY on PostgreSQL; the `deadlines` rows are written as `evaluate_shipments`
would have left them (ship_timeout met; pickup_timeout pending with its next check).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common import log, pg_drop, pg_scratch
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.db.models import Carrier, Platform, Shop

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 20, 12, tzinfo=SH)
UTC = dt.UTC
CHUNK = 50_000
SHOPS = 200

ORDER_COLS = (
    "id",
    "shop_id",
    "external_id",
    "status",
    "paid_at",
    "amount_fen",
    "quantity",
    "buyer_province",
    "created_at",
    "updated_at",
)
SHIP_COLS = (
    "id",
    "order_id",
    "key",
    "carrier_id",
    "waybill_no",
    "shipped_at",
    "status",
    "feed_stalled",
    "amount_fen",
    "max_unit_price_fen",
)
DL_COLS = (
    "shipment_id",
    "shop_id",
    "profile",
    "rule_id",
    "started_at",
    "due_at",
    "satisfied_at",
    "state",
    "next_check_at",
    "evaluated_at",
)


@dataclass
class Db:
    backend: str
    engine: Engine
    sessions: sessionmaker[Session]
    cleanup: Callable[[], None]


def open_db(backend: str, name: str) -> Db:
    if backend == "sqlite":
        tmp = tempfile.mkdtemp(prefix="lanshou-bench-")
        path = Path(tmp) / f"{name}.db"
        engine = make_engine(f"sqlite:///{path}")

        def cleanup() -> None:
            engine.dispose()
            for p in Path(tmp).iterdir():
                p.unlink()
            Path(tmp).rmdir()

    else:
        engine = make_engine(pg_scratch(name))

        def cleanup() -> None:
            engine.dispose()
            pg_drop(name)

    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Platform.__table__),
            [{"id": 1, "code": "douyin", "name": "抖音", "profile": "douyin"}],
        )
        conn.execute(
            insert(Shop.__table__),
            [
                {"id": i, "platform_id": 1, "code": f"s{i}", "name": f"店{i}"}
                for i in range(1, SHOPS + 1)
            ],
        )
        conn.execute(
            insert(Carrier.__table__),
            [{"id": 1, "code": "ZTO", "name_zh": "中通", "name_en": "ZTO", "aliases": []}],
        )
    return Db(backend, engine, session_factory(engine), cleanup)


def bulk(db: Db, table: str, cols: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert rows: COPY on PostgreSQL, Core executemany in chunks of 50,000 on SQLite."""
    n = 0
    if db.backend == "postgresql":
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
                    n += 1
            raw.commit()
        finally:
            raw.close()
        return n
    # Values converted the way the column types store them on SQLite (naive UTC text,
    # `UTCDateTime`), then a driver-level executemany: Core's per-value processing costs 10×.
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    chunk: list[tuple[Any, ...]] = []
    with db.engine.begin() as conn:
        for row in rows:
            chunk.append(tuple(_sqlite_value(v) for v in row))
            if len(chunk) >= CHUNK:
                conn.exec_driver_sql(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            conn.exec_driver_sql(sql, chunk)
            n += len(chunk)
    return n


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, bool):
        return int(v)
    return v


def analyze(db: Db) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def world_shipped_at(
    i: int,
    n: int,
    due: int,
    *,
    first_id: int = 1,
    now: dt.datetime = NOW,
    due_spread: int = 18_000,
) -> dt.datetime:
    """When shipment `i` of `shipped_world(db, n, due, first_id=…, now=…)` was shipped; the
    due ones 1 h to 1 h + `due_spread` seconds past their pickup deadline."""
    step = max(n // max(due, 1), 1)
    k = i - first_id
    if due and k % step == 0 and k // step < due:
        return now - dt.timedelta(hours=25) - dt.timedelta(seconds=i % due_spread)
    return now - dt.timedelta(seconds=(i * 7919) % (17 * 3600))


def shipped_world(
    db: Db,
    n: int,
    due: int,
    *,
    first_id: int = 1,
    now: dt.datetime = NOW,
    due_spread: int = 18_000,
) -> None:
    """`n` shipped, not yet picked-up shipments; `due` of them have a pickup deadline already
    passed (next check = the deadline), the rest are due 7–24 h after `now` (next check = the
    6-hour warning, or the deadline once the warning is past). One order per shipment, spread
    over the shops."""

    def shipped_at(i: int) -> dt.datetime:
        return world_shipped_at(i, n, due, first_id=first_id, now=now, due_spread=due_spread)

    def ids() -> Iterator[int]:
        return iter(range(first_id, first_id + n))

    def orders() -> Iterator[tuple[Any, ...]]:
        for i in ids():
            paid = shipped_at(i) - dt.timedelta(hours=5)
            yield (
                i,
                1 + i % SHOPS,
                f"O{i}",
                "paid",
                paid,
                5_000 + i % 50_000,
                1,
                "浙江",
                paid,
                paid,
            )

    def shipments() -> Iterator[tuple[Any, ...]]:
        for i in ids():
            fen = 5_000 + i % 50_000
            yield (
                i,
                i,
                f"K{i}",
                1,
                f"75{i:012d}",
                shipped_at(i),
                "awaiting_pickup",
                False,
                fen,
                fen,
            )

    def deadlines() -> Iterator[tuple[Any, ...]]:
        for i in ids():
            s = shipped_at(i)
            paid = s - dt.timedelta(hours=5)
            shop = 1 + i % SHOPS
            yield (
                i,
                shop,
                "douyin",
                "ship_timeout",
                paid,
                paid + dt.timedelta(hours=48),
                s,
                "met",
                None,
                s,
            )
            dl = s + dt.timedelta(hours=24)
            warn = dl - dt.timedelta(hours=6)
            yield (
                i,
                shop,
                "douyin",
                "pickup_timeout",
                s,
                dl,
                None,
                "pending",
                warn if warn > now else dl,
                s,
            )

    for name, cols, gen in (
        ("orders", ORDER_COLS, orders),
        ("shipments", SHIP_COLS, shipments),
        ("deadlines", DL_COLS, deadlines),
    ):
        log(f"  {db.backend}: {name} …")
        bulk(db, name, cols, gen())
    analyze(db)
