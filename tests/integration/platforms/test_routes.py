"""抖店 as a second route source: a connected shop's waybill is registered with
``/logistics/registerPackageRoute`` through the subscription queue, and what the platform
pushes to the registered callback lands in the tracking inbox like any feed's. The gateway is
the strict local fake; every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    AuditEvent,
    PlatformShipmentCall,
    TrackingEvent,
    TrackingReceipt,
    TrackingSubscription,
)
from lanshou.bootstrap import Runtime
from lanshou.platforms.carrier_codes import store_company_list
from lanshou.platforms.sync import sync_connection
from lanshou.worker import drain_inbox, send_tracking_subscriptions
from tests.douyin_gateway import FakeDouyinGateway, refused
from tests.integration.platforms.conftest import APP_KEY, APP_SECRET, DOUYIN_SHOP
from tests.integration.platforms.web_shop import fake
from tests.integration.web.world import (
    NOW,
    _fast_password_hashing,
    bearer,
    client,
    runtime,
    world,
)

__all__ = ["_fast_password_hashing", "client", "fake", "runtime", "world"]

ROUTE = "/api/v1/platforms/douyin/route"
CALLBACK = "https://lanshou.example/api/v1/platforms/douyin/route"
ROUTE_KEY = "route-key-123456"
SENT = NOW - timedelta(hours=3)


def token(waybill: str, shop: str = DOUYIN_SHOP, key: str = ROUTE_KEY) -> str:
    """HMAC-SHA256 of ``shop|waybill`` keyed by the integration's secret, computed here."""
    return hmac.new(key.encode(), f"{shop}|{waybill}".encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def source(client: TestClient, fake: FakeDouyinGateway, sessions: sessionmaker[Session]) -> int:
    """The 抖店 route source of the connected app, as an administrator configures it."""
    body = {
        "kind": "douyin",
        "name": "抖店轨迹",
        "secret": ROUTE_KEY,
        "account_id": APP_KEY,
        "callback_url": CALLBACK,
    }
    answer = client.post("/api/v1/feeds", json=body, headers=bearer(client, "admin"))
    assert answer.status_code == 201, answer.text
    with unit_of_work(sessions) as s:
        store_company_list(s, "douyin", fake.companies, NOW)
    return int(answer.json()["id"])


def _sync_shipped(runtime: Runtime, fake: FakeDouyinGateway, order: str, waybill: str) -> None:
    fake.put_order(
        order, updated=NOW - timedelta(minutes=5), status=3, parcel=("shunfeng", waybill, SENT)
    )
    summary = sync_connection(
        runtime.sessions, runtime.platforms, runtime.rules, 1, NOW, since=NOW - timedelta(hours=1)
    )
    assert summary.error is None


def _subscriptions(sessions: sessionmaker[Session]) -> list[tuple[str, str, int, str | None]]:
    with sessions() as s:
        rows = s.execute(
            select(
                TrackingSubscription.waybill_no,
                TrackingSubscription.state,
                TrackingSubscription.attempts,
                TrackingSubscription.last_error,
            ).order_by(TrackingSubscription.id)
        )
        return [(w, state, attempts, error) for w, state, attempts, error in rows]


def test_a_synced_waybill_is_registered_with_the_platform_once(
    runtime: Runtime, fake: FakeDouyinGateway, source: int, sessions: sessionmaker[Session]
) -> None:
    _sync_shipped(runtime, fake, "6001", "SF300")
    assert _subscriptions(sessions) == [("SF300", "pending", 0, None)]
    run = send_tracking_subscriptions(runtime)
    assert (run.subscribed, run.retried, run.failed) == (1, 0, 0)
    assert fake.routes_registered == [
        {
            "callback_url": f"{CALLBACK}?shop={DOUYIN_SHOP}&token={token('SF300')}",
            "cargo_list": [
                {
                    "name": "保温杯 <大号> & 礼盒",
                    "quantity": 1,
                    "total_net_weight": 0,
                    "total_weight": 0,
                }
            ],
            "express": "shunfeng",
            "outer_order_id": "6001",
            "receiver": {
                "address": {
                    "city": {"code": "3301", "name": "杭州市"},
                    "detail": "#enc-detail#",
                    "province": {"code": "33", "name": "浙江省"},
                    "street": {"code": "330106011", "name": "文新街道"},
                    "town": {"code": "330106", "name": "西湖区"},
                },
                "contact": {"name": "#enc-name#", "phone": "#enc-tel#"},
            },
            "track_no": "SF300",
        }
    ]
    assert _subscriptions(sessions) == [("SF300", "subscribed", 0, None)]
    again = send_tracking_subscriptions(runtime)
    assert (again.subscribed, len(fake.routes_registered)) == (0, 1)
    with sessions() as s:
        calls = s.execute(
            select(
                PlatformShipmentCall.method,
                PlatformShipmentCall.accepted,
                PlatformShipmentCall.code,
                PlatformShipmentCall.company_code,
                PlatformShipmentCall.logistics_code,
            )
        ).all()
        audited = s.execute(
            select(AuditEvent.action).where(AuditEvent.action.like("platform_route%"))
        ).scalars()
        assert list(audited) == ["platform_route_registered"]
    assert calls == [("logistics.registerPackageRoute", True, "10000", "shunfeng", "SF300")]


def test_the_platforms_refusal_fails_the_registration_and_throttling_defers_it(
    runtime: Runtime, fake: FakeDouyinGateway, source: int, sessions: sessionmaker[Session]
) -> None:
    _sync_shipped(runtime, fake, "6001", "SF300")
    fake.throttle_next = 5  # the client's four retries and one more: the run slows down
    run = send_tracking_subscriptions(runtime)
    assert (run.subscribed, run.retried, run.failed) == (0, 1, 0)
    assert _subscriptions(sessions) == [
        (
            "SF300",
            "pending",
            1,
            "60000: order.orderDetail: 60000 流量超限 (isv.traffic-limited: 调用频率超限)",
        )
    ]
    fake.refuse_next["/logistics/registerPackageRoute"] = refused(
        50002, "运单号不存在", "isv.business-failed:track-no-invalid"
    )
    runtime.clock.at = NOW + timedelta(minutes=2)  # type: ignore[attr-defined]
    run = send_tracking_subscriptions(runtime)
    assert (run.subscribed, run.failed) == (0, 1)
    message = (
        "logistics.registerPackageRoute: 50002 运单号不存在 "
        "(isv.business-failed:track-no-invalid: 运单号不存在)"
    )
    assert _subscriptions(sessions) == [("SF300", "failed", 2, f"50002: {message}")]
    assert fake.routes_registered == []
    with sessions() as s:
        calls = s.execute(
            select(PlatformShipmentCall.accepted, PlatformShipmentCall.code).order_by(
                PlatformShipmentCall.id
            )
        ).all()
    assert calls == [(False, "60000"), (False, "50002")]


def _route(waybill: str = "SF300", **extra: Any) -> bytes:
    at = [NOW - timedelta(hours=h) for h in (2, 1)] + [NOW - timedelta(minutes=5)]
    body = {
        "track_no": waybill,
        "express": "shunfeng",
        "track_routes": [
            {
                "content": "【杭州市】顺丰速运 已收取快件",
                "state": "1",
                "state_time": int(at[0].timestamp()),
                "opcode": "GOT",
            },
            {
                "content": "【杭州市】 快件离开 【杭州中转场】 已发往 【上海】",
                "state": "2",
                "state_time": int(at[1].timestamp()),
                "opcode": "TRANS_ARRIVE",
            },
            {
                "content": "您的快件已签收，签收人：本人",
                "state": "3",
                "state_time": str(int(at[2].timestamp())),
                "opcode": "SIGN",
            },
        ],
        **extra,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _post(
    client: TestClient,
    body: bytes,
    *,
    shop: str = DOUYIN_SHOP,
    tok: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    params = {"shop": shop, "token": tok if tok is not None else token("SF300")}
    return client.post(ROUTE, params=params, content=body, headers=headers or {})


def _events(sessions: sessionmaker[Session]) -> list[tuple[str, str, datetime, str]]:
    with sessions() as s:
        rows = s.execute(
            select(
                TrackingEvent.waybill_no,
                TrackingEvent.status,
                TrackingEvent.event_time,
                TrackingEvent.source,
            )
            .where(TrackingEvent.waybill_no == "SF300")
            .order_by(TrackingEvent.event_time)
        ).all()
    return [(w, st, t if t.tzinfo else t.replace(tzinfo=UTC), src) for w, st, t, src in rows]


def _receipts(sessions: sessionmaker[Session]) -> int:
    """Receipts of route pushes (the world has receipts of its own feeds)."""
    with sessions() as s:
        query = select(func.count()).where(TrackingReceipt.source == "douyin")
        return int(s.execute(query).scalar_one())


def test_a_route_push_lands_in_the_inbox_mapped_and_a_repeat_is_stored_once(
    client: TestClient, runtime: Runtime, source: int, sessions: sessionmaker[Session]
) -> None:
    for _ in range(2):
        answer = _post(client, _route())
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"code": 0, "msg": "success"}
        assert answer.headers["X-Lanshou-Receipt"].isdigit()
    drain_inbox(runtime)
    assert _events(sessions) == [
        ("SF300", "picked_up", NOW - timedelta(hours=2), "douyin"),
        ("SF300", "in_transit", NOW - timedelta(hours=1), "douyin"),
        ("SF300", "delivered", NOW - timedelta(minutes=5), "douyin"),
    ]


def test_a_route_push_signed_with_the_apps_event_sign_is_checked_too(
    client: TestClient, source: int, sessions: sessionmaker[Session]
) -> None:
    body = _route()
    good = hashlib.md5(APP_KEY.encode() + body + APP_SECRET.encode()).hexdigest()
    bad = hashlib.md5(APP_KEY.encode() + body + b"another-secret").hexdigest()
    refused_answer = _post(client, body, headers={"event-sign": bad})
    assert refused_answer.status_code == 401
    assert refused_answer.json() == {
        "code": 401,
        "msg": "event-sign does not match the shop's 抖店 app",
    }
    assert _receipts(sessions) == 0
    assert _post(client, body, headers={"event-sign": good}).status_code == 200
    assert _receipts(sessions) == 1


@pytest.mark.parametrize(
    ("body", "shop", "tok", "status", "msg"),
    [
        (
            _route(),
            DOUYIN_SHOP,
            token("SF300", key="not-the-key"),
            401,
            "douyin push signature does not match any active integration",
        ),
        (
            _route(),
            DOUYIN_SHOP,
            token("SF999"),
            401,
            "douyin push signature does not match any active integration",
        ),
        (
            _route(),
            "990099",
            token("SF300", shop="990099"),
            404,
            "no shop connected to 抖店 has the shop id '990099'",
        ),
        (b"{not json", DOUYIN_SHOP, None, 422, "body: not JSON"),
        (
            _route().replace(b'"state_time": 1', b'"state_time": "soon", "x": 1'),
            DOUYIN_SHOP,
            None,
            422,
            "track_routes[0].state_time: 'soon' is not Unix seconds",
        ),
        (
            json.dumps({"track_no": "SF300"}).encode(),
            DOUYIN_SHOP,
            None,
            422,
            "track_routes: the route nodes are missing",
        ),
    ],
    ids=[
        "wrong-key",
        "token-of-another-waybill",
        "unknown-shop",
        "garbled",
        "bad-time",
        "no-nodes",
    ],
)
def test_a_bad_route_push_gets_a_clear_refusal_and_nothing_is_stored(
    client: TestClient,
    source: int,
    sessions: sessionmaker[Session],
    body: bytes,
    shop: str,
    tok: str | None,
    status: int,
    msg: str,
) -> None:
    answer = _post(client, body, shop=shop, tok=tok)
    assert answer.status_code == status
    assert answer.json() == {"code": status, "msg": msg}
    assert _receipts(sessions) == 0
