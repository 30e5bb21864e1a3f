"""A small, explicit world for web and API tests, and fixtures that serve it through the app.

Two shops on one platform: 甜橙小铺 (shop A, 53 orders) and 山野茶舍 (shop B, 4 orders).
Shop A order i (0‥52) is paid at 2026-11-01 10:00 +08:00 plus i hours; its one shipment is
awaiting_pickup/SF (i % 4 == 0), picked_up/ZTO (1), in_transit/SF (2) or delivered/ZTO (3).
Order A002 has items, an outlet, a courier and three tracking events; A000 has a pending deadline
3 h 20 min after "now".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Carrier,
    Courier,
    Deadline,
    Order,
    OrderItem,
    Outlet,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
    Violation,
)
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from lanshou.domain.roles import Role
from lanshou.enforcement import ledger
from lanshou.entrypoints.app import create_app
from lanshou.identity import auth
from lanshou.identity.auth import create_user
from lanshou.settings import load_settings

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=CST)
PASSWORD = "correct-horse-battery"
STATUS_CARRIER = [
    ("awaiting_pickup", "SF"),
    ("picked_up", "ZTO"),
    ("in_transit", "SF"),
    ("delivered", "ZTO"),
]
A_ORDERS, B_ORDERS = 53, 4


@dataclass
class World:
    shop_a: int
    shop_b: int
    order_ids: dict[str, int]  # external id → id


def build_world(sessions: sessionmaker[Session]) -> World:
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
        s.flush()  # no ORM relationships, so parents are flushed before children by hand
        s.add_all(
            [
                Shop(id=1, platform_id=1, code="a", name="甜橙小铺"),
                Shop(id=2, platform_id=1, code="b", name="山野茶舍"),
            ]
        )
        s.add_all(
            [
                Carrier(id=1, code="SF", name_zh="顺丰", name_en="SF Express", aliases=[]),
                Carrier(id=2, code="ZTO", name_zh="中通", name_en="ZTO Express", aliases=[]),
            ]
        )
        s.flush()
        s.add(Outlet(id=1, carrier_id=1, code="hz-01", name="杭州西湖网点"))
        s.flush()
        s.add(Courier(id=1, outlet_id=1, name="王师傅", phone="13800000001"))
        s.flush()
        ids: dict[str, int] = {}
        for i in range(A_ORDERS):
            status, carrier = STATUS_CARRIER[i % 4]
            ids[f"A{i:03d}"] = _order(
                s,
                1,
                f"A{i:03d}",
                datetime(2026, 11, 1, 10, tzinfo=CST) + timedelta(hours=i),
                1230 + i,
                status,
                carrier,
            )
        for i in range(B_ORDERS):
            ids[f"B{i:03d}"] = _order(
                s,
                2,
                f"B{i:03d}",
                datetime(2026, 11, 2, 9, tzinfo=CST) + timedelta(hours=i),
                9900,
                "awaiting_pickup",
                "ZTO",
            )
        _details(s, ids)
        for username, role, shops in (
            ("merchant", Role.MERCHANT_OWNER, [1]),
            ("other", Role.MERCHANT_OWNER, [2]),
            ("staff", Role.MERCHANT_STAFF, [1]),
            ("reviewer", Role.REVIEWER, []),
            ("admin", Role.ADMIN, []),
        ):
            create_user(s, username, PASSWORD, role, username.title(), shops, NOW)
        s.commit()
    return World(1, 2, ids)


def _order(
    s: Session, shop: int, ext: str, paid: datetime, fen: int, status: str, carrier: str
) -> int:
    order = Order(
        shop_id=shop,
        external_id=ext,
        status="shipped",
        paid_at=paid,
        amount_fen=fen,
        quantity=1,
        created_at=paid,
        updated_at=paid,
    )
    s.add(order)
    s.flush()
    s.add(
        Shipment(
            order_id=order.id,
            key=ext,
            carrier_id=1 if carrier == "SF" else 2,
            waybill_no=f"WB{ext}",
            shipped_at=paid + timedelta(hours=2),
            status=status,
            amount_fen=fen,
        )
    )
    s.flush()
    return order.id


def _details(s: Session, ids: dict[str, int]) -> None:
    detail = s.query(Shipment).filter_by(order_id=ids["A002"]).one()
    detail.outlet_id, detail.courier_id = 1, 1
    detail.picked_up_at = datetime(2026, 11, 1, 14, 5, tzinfo=CST)
    s.add_all(
        [
            OrderItem(
                order_id=ids["A002"],
                sku="TEA-01",
                title="明前龙井 250g",
                unit_price_fen=1000,
                quantity=1,
            ),
            OrderItem(
                order_id=ids["A002"], sku="CUP-02", title="玻璃杯", unit_price_fen=116, quantity=2
            ),
        ]
    )
    for minute, status, place, text in (
        (5, "picked_up", "杭州", "顺丰速运 已收取快件"),
        (50, "in_transit", "杭州转运中心", "快件已发往 上海"),
        (170, "in_transit", "上海转运中心", "快件到达 上海"),
    ):
        at = datetime(2026, 11, 1, 14, tzinfo=CST) + timedelta(minutes=minute)
        s.add(
            TrackingEvent(
                shipment_id=detail.id,
                carrier_code="SF",
                waybill_no="WBA002",
                status=status,
                event_time=at,
                received_at=at,
                location=place,
                description=text,
                source="kuaidi100",
                dedup_key=hashlib.sha256(f"A002{minute}".encode()).hexdigest(),
            )
        )
    pending = s.query(Shipment).filter_by(order_id=ids["A000"]).one()
    s.add(
        Deadline(
            shipment_id=pending.id,
            shop_id=1,
            profile="douyin",
            rule_id="pickup_timeout",
            started_at=NOW - timedelta(hours=20),
            due_at=NOW + timedelta(hours=3, minutes=20),
            state="pending",
            evaluated_at=NOW,
        )
    )


def make_runtime(sessions: sessionmaker[Session], **settings: object) -> Runtime:
    options: dict[str, object] = {"env": "test", "secret_key": "x" * 32, "default_locale": "zh_CN"}
    options.update(settings)
    engine = sessions.kw["bind"]
    return Runtime(load_settings(**options), engine, sessions, FixedClock(NOW))


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production argon2 costs ~0.15 s a hash; these tests hash and verify hundreds of times."""
    monkeypatch.setattr(
        auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return build_world(sessions)


@pytest.fixture
def runtime(sessions: sessionmaker[Session], world: World) -> Runtime:
    return make_runtime(sessions)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def insert_violation(s: Session, shop_id: int, order_id: int, detected_days_ago: float = 1) -> int:
    """A confirmed pickup-timeout violation of ``order_id`` with 3.00 compensation and a 10.00
    fine booked, detected ``detected_days_ago`` before NOW (flushed, not committed)."""
    shipment = s.query(Shipment).filter_by(order_id=order_id).one()
    detected = NOW - timedelta(days=detected_days_ago)
    v = Violation(
        shipment_id=shipment.id,
        order_id=order_id,
        shop_id=shop_id,
        profile="douyin",
        rule_id="pickup_timeout",
        started_at=detected - timedelta(hours=24),
        deadline=detected,
        state="confirmed",
        explanation="揽收超时 24 h",
        detected_at=detected,
        updated_at=detected,
    )
    s.add(v)
    s.flush()
    for kind, fen in (("compensation", 300), ("fine", 1000)):
        ledger.book(
            s,
            shop_id=shop_id,
            violation_id=v.id,
            kind=kind,
            amount_fen=fen,
            points=Decimal(0),
            at=detected,
            memo="揽收超时",
            actor="system",
        )
    return v.id
