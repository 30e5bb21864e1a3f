"""Tracking subscriptions end to end: queued where a waybill is given, sent by the worker's real
client to strict local doubles of 快递100 and 快递鸟, retried, shown, stalled and revived by
快递100's pushes. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    AuditEvent,
    Carrier,
    Shipment,
    Shop,
    ShopTrackingFeed,
    TrackingSubscription,
)
from lanshou.bootstrap import Runtime
from lanshou.feeds.subscribe_contracts import Waybill
from lanshou.feeds.subscription_client import SubscriptionClient
from lanshou.feeds.subscription_rules import RetryPolicy
from lanshou.feeds.subscriptions import SubscriptionRun, claim_due, send_due_subscriptions
from lanshou.imports.records import OrderRecord, ShipmentRecord
from lanshou.imports.upsert import OrderWriter
from lanshou.orders import queue_tracking_subscriptions
from lanshou.worker import send_tracking_subscriptions
from tests.fakes.aggregators import FakeKdniao, FakeKuaidi100
from tests.integration.feeds.helpers import (
    K100_SALT,
    KDN_ID,
    KDN_KEY,
    k100_form,
    k100_param,
    scan,
    unshipped_order,
)
from tests.integration.web.world import NOW, World, bearer, csrf_of, login, make_runtime

CST = timezone(timedelta(hours=8))
CALLBACK = "https://lanshou.example/api/v1/tracking/kuaidi100"
PHONE = "138-0013-8000"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def runtime(sessions: sessionmaker[Session], world: World) -> Runtime:
    """The web world's runtime, allowed to reach the local doubles (and nothing else local)."""
    return make_runtime(sessions, egress_allow="127.0.0.1/32")


@pytest.fixture
def k100() -> Iterator[FakeKuaidi100]:
    fake = FakeKuaidi100()
    yield fake
    fake.close()


@pytest.fixture
def kdn() -> Iterator[FakeKdniao]:
    fake = FakeKdniao(business_id=KDN_ID, app_key=KDN_KEY)
    yield fake
    fake.close()


def _integration(client: TestClient, body: dict[str, Any]) -> int:
    response = client.post("/api/v1/feeds", json=body, headers=bearer(client, "admin"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _use(client: TestClient, integration_id: int, shop: int = 1, phone: str | None = PHONE) -> None:
    body = {"integration_id": integration_id, "sender_phone": phone}
    response = client.put(
        f"/api/v1/shops/{shop}/tracking-feed", json=body, headers=bearer(client, "admin")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "shop_id": shop,
        "integration_id": integration_id,
        "sender_phone_set": phone is not None,
    }


def _kuaidi100(client: TestClient, fake: FakeKuaidi100, key: str | None = None) -> int:
    integration = _integration(
        client,
        {
            "kind": "kuaidi100",
            "name": "快递100 主账号",
            "secret": K100_SALT,
            "subscribe_key": key or fake.key,
            "callback_url": CALLBACK,
            "api_url": fake.url,
        },
    )
    _use(client, integration)
    return integration


def _ship(client: TestClient, order_id: int, carrier: str, waybill: str) -> int:
    body = {
        "order_id": order_id,
        "carrier": carrier,
        "waybill": waybill,
        "shipped_at": "2026-11-04T10:00:00+08:00",
    }
    response = client.post("/api/v1/shipments", json=body, headers=bearer(client, "merchant"))
    assert response.status_code == 200, response.text
    return int(response.json()["shipment_id"])


def _subs(sessions: sessionmaker[Session]) -> list[TrackingSubscription]:
    with sessions() as s:
        query = select(TrackingSubscription).order_by(TrackingSubscription.id)
        return list(s.execute(query).scalars())


def _run(runtime: Runtime, at: datetime) -> SubscriptionRun:
    with SubscriptionClient(runtime.egress) as client:
        return send_due_subscriptions(runtime.sessions, at, client, runtime.platforms.box)


def test_marking_shipped_queues_a_subscription_the_worker_sends_once(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    integration = _kuaidi100(client, k100)
    shipment = _ship(client, unshipped_order(sessions, "S001"), "顺丰", "sf1001")
    [queued] = _subs(sessions)
    assert (queued.shipment_id, queued.integration_id, queued.carrier_code) == (
        shipment,
        integration,
        "SF",
    )
    assert (queued.waybill_no, queued.state, queued.attempts, queued.next_attempt_at) == (
        "SF1001",
        "pending",
        0,
        NOW,
    )
    assert k100.requests == []  # nothing leaves during the request that marked it

    run = send_tracking_subscriptions(runtime)  # the worker's own call
    assert (run.subscribed, run.retried, run.failed, run.deferred) == (1, 0, 0, 0)
    assert k100.accepted == [
        {
            "company": "shunfeng",
            "number": "SF1001",
            "key": k100.key,
            "parameters": {
                "callbackurl": CALLBACK,
                "salt": K100_SALT,
                "resultv2": "4",
                "phone": "8000",
            },
        }
    ]
    [sent] = _subs(sessions)
    assert (sent.state, sent.attempts, sent.subscribed_at, sent.next_attempt_at) == (
        "subscribed",
        0,
        NOW,
        None,
    )
    assert send_tracking_subscriptions(runtime).changed is False
    assert len(k100.requests) == 1


def test_an_import_queues_what_it_marks_and_nothing_twice(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    writer = OrderWriter(1, NOW, runtime.rules, "test import")

    def record(shop: str, ext: str, waybill: str) -> OrderRecord:
        shipment = ShipmentRecord(
            key="1",
            amount_fen=3000,
            carrier="圆通",
            waybill=waybill,
            shipped_at=NOW - timedelta(hours=1),
        )
        paid = NOW - timedelta(hours=5)
        return OrderRecord(1, shop, ext, "shipped", paid, 3000, 1, shipment=shipment)

    batch = [record("a", "I001", "YT5001"), record("b", "I002", "YT5002")]
    for _ in range(2):  # the same file imported twice
        with unit_of_work(sessions) as s:
            writer.write(s, batch)
    subs = _subs(sessions)
    # shop b has no aggregator: its waybill is not queued
    assert [(x.waybill_no, x.carrier_code, x.state) for x in subs] == [("YT5001", "YTO", "pending")]
    with unit_of_work(sessions) as s:  # a rolled-back import queues nothing
        writer.write(s, [record("a", "I003", "YT5003")])
        s.rollback()
    assert len(_subs(sessions)) == 1
    _run(runtime, NOW)
    assert [p["company"] for p in k100.accepted] == ["yuantong"]
    assert "phone" not in k100.accepted[0]["parameters"]


def test_a_failing_aggregator_is_retried_on_the_back_off_and_shown(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    _ship(client, unshipped_order(sessions, "S002"), "顺丰", "SF2002")
    k100.fail(2)
    assert _run(runtime, NOW).retried == 1
    [sub] = _subs(sessions)
    assert (sub.state, sub.attempts, sub.next_attempt_at, sub.last_error) == (
        "pending",
        1,
        NOW + MINUTE,
        "500: 服务器错误",
    )
    listed = client.get("/api/v1/tracking/subscriptions", headers=bearer(client, "admin"))
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "id": sub.id,
            "shop_name": "甜橙小铺",
            "order_external_id": "S002",
            "waybill_no": "SF2002",
            "carrier_code": "SF",
            "integration_name": "快递100 主账号",
            "state": "pending",
            "attempts": 1,
            "resubscriptions": 0,
            "next_attempt_at": "2026-11-04T12:01:00+08:00",
            "last_error": "500: 服务器错误",
            "stalled_since": None,
            "resubscribe_at": None,
        }
    ]
    merchant = client.get("/api/v1/tracking/subscriptions", headers=bearer(client, "merchant"))
    assert merchant.status_code == 403
    assert _run(runtime, NOW + 30 * timedelta(seconds=1)).changed is False  # not due yet
    assert len(k100.requests) == 1
    _run(runtime, NOW + MINUTE)
    [sub] = _subs(sessions)
    assert (sub.state, sub.attempts, sub.next_attempt_at) == ("pending", 2, NOW + 3 * MINUTE)
    assert _run(runtime, NOW + 3 * MINUTE).subscribed == 1
    [sub] = _subs(sessions)
    assert (sub.state, sub.attempts, sub.last_error, sub.subscribed_at) == (
        "subscribed",
        0,
        None,
        NOW + 3 * MINUTE,
    )
    assert len(k100.requests) == 3


def test_throttling_defers_the_rest_of_the_run_without_counting_it(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    for n in range(3):
        _ship(client, unshipped_order(sessions, f"T00{n}"), "中通", f"ZT300{n}")
    k100.throttle(1)
    run = _run(runtime, NOW)
    assert (run.subscribed, run.retried, run.deferred) == (0, 1, 2)
    assert len(k100.requests) == 1
    subs = _subs(sessions)
    assert [(s.state, s.attempts, s.next_attempt_at) for s in subs] == [
        ("pending", 1, NOW + MINUTE),
        ("pending", 0, NOW + MINUTE),
        ("pending", 0, NOW + MINUTE),
    ]
    assert subs[0].last_error == "HTTP 429: " + json.dumps(
        {"message": "too many requests"}, ensure_ascii=False
    )
    assert _run(runtime, NOW + MINUTE).subscribed == 3
    assert [p["number"] for p in k100.accepted] == ["ZT3000", "ZT3001", "ZT3002"]


def test_a_refused_subscription_fails_at_once_is_audited_and_can_be_sent_again(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    right_key = k100.key
    k100.key = "rotated-at-kuaidi100"  # the account's key changed on their side
    _kuaidi100(client, k100, key=right_key)
    _ship(client, unshipped_order(sessions, "S003"), "顺丰", "SF3003")
    assert _run(runtime, NOW).failed == 1
    [sub] = _subs(sessions)
    assert (sub.state, sub.attempts, sub.next_attempt_at, sub.last_error) == (
        "failed",
        1,
        None,
        "600: 您不是合法的订阅者",
    )
    with sessions() as s:
        audit = s.execute(
            select(AuditEvent).where(AuditEvent.action == "subscription_failed")
        ).scalar_one()
    assert (audit.entity_id, audit.reason, audit.data) == (
        sub.id,
        "600: 您不是合法的订阅者",
        {"waybill": "SF3003", "attempts": 1},
    )
    assert _run(runtime, NOW + timedelta(days=1)).changed is False  # failed rows wait for a person
    k100.key = right_key
    retry = f"/api/v1/tracking/subscriptions/{sub.id}/retry"
    assert client.post(retry, headers=bearer(client, "merchant")).status_code == 403
    response = client.post(retry, headers=bearer(client, "admin"))
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["attempts"]) == ("pending", 0)
    assert _run(runtime, NOW).subscribed == 1
    again = client.post(retry, headers=bearer(client, "admin"))
    assert again.status_code == 422  # a subscribed row is not sent again


def test_a_carrier_that_needs_a_phone_is_not_sent_without_one(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    integration = _kuaidi100(client, k100)
    _use(client, integration, phone=None)
    _ship(client, unshipped_order(sessions, "S004"), "顺丰", "SF4004")
    _ship(client, unshipped_order(sessions, "S005"), "圆通", "YT4005")
    run = _run(runtime, NOW)
    assert (run.subscribed, run.failed) == (1, 1)
    assert [p["number"] for p in k100.accepted] == ["YT4005"]
    assert len(k100.requests) == 1  # the 顺丰 waybill never left
    sf = next(s for s in _subs(sessions) if s.waybill_no == "SF4004")
    assert (sf.state, sf.last_error) == (
        "failed",
        "lanshou: shunfeng needs the shop's sender phone to subscribe",
    )


def test_kdniao_subscriptions_are_signed_and_a_wrong_app_key_is_refused(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, kdn: FakeKdniao
) -> None:
    body = {"kind": "kdniao", "secret": KDN_KEY, "account_id": KDN_ID, "api_url": kdn.url}
    good = _integration(client, {**body, "name": "快递鸟", "callback_url": CALLBACK})
    _use(client, good)
    _ship(client, unshipped_order(sessions, "K001"), "顺丰", "SF7001")
    assert _run(runtime, NOW).subscribed == 1
    assert kdn.accepted == [{"ShipperCode": "SF", "LogisticCode": "SF7001", "CustomerName": "8000"}]
    bad = _integration(
        client, {**body, "name": "快递鸟 旧", "secret": "not-the-app-key", "callback_url": CALLBACK}
    )
    _use(client, bad)
    _ship(client, unshipped_order(sessions, "K002"), "韵达", "YD7002")
    assert _run(runtime, NOW).failed == 1
    refused = next(s for s in _subs(sessions) if s.waybill_no == "YD7002")
    assert (refused.state, refused.last_error) == ("failed", "Success=false: 数据签名错误")
    assert len(kdn.accepted) == 1


def _push(client: TestClient, param: dict[str, Any]) -> None:
    response = client.post("/api/v1/tracking/kuaidi100", data=k100_form(param))
    assert response.status_code == 200, response.text


def test_an_abort_stalls_the_feed_warns_and_resubscribes_half_an_hour_later(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    order = unshipped_order(sessions, "X001")
    shipment = _ship(client, order, "顺丰", "SF8001")
    _run(runtime, NOW)
    k100.stop_watching("shunfeng", "SF8001")
    _push(client, k100_param("SF8001", [], status="abort", message="3天查询无记录"))
    login(client, "merchant")
    assert "物流轨迹中断" in client.get(f"/orders/{order}").text  # the merchant sees it
    with sessions() as s:
        assert s.get_one(Shipment, shipment).feed_stalled is True
        warned = s.execute(
            select(AuditEvent.entity_id, AuditEvent.reason).where(
                AuditEvent.action == "feed_stalled"
            )
        ).one()
    assert tuple(warned) == (shipment, "3天查询无记录")  # what the alerts send the merchant
    [sub] = _subs(sessions)
    assert (sub.state, sub.stalled_since, sub.resubscribe_at, sub.last_error) == (
        "stalled",
        NOW,
        NOW + 30 * MINUTE,
        "3天查询无记录",
    )
    assert _run(runtime, NOW + 29 * MINUTE).changed is False
    assert _run(runtime, NOW + 30 * MINUTE).subscribed == 1
    assert [p["number"] for p in k100.accepted] == ["SF8001", "SF8001"]
    [sub] = _subs(sessions)
    assert (sub.state, sub.resubscriptions, sub.stalled_since) == ("subscribed", 1, NOW)
    scans = [scan("2026-11-04 13:00:00", "快件已揽收", "揽收")]
    _push(client, k100_param("SF8001", scans, state="1"))
    [sub] = _subs(sessions)
    assert (sub.state, sub.stalled_since, sub.resubscribe_at) == ("subscribed", None, None)
    with sessions() as s:
        assert s.get_one(Shipment, shipment).feed_stalled is False
    assert "物流轨迹中断" not in client.get(f"/orders/{order}").text


def test_an_abort_with_com_new_corrects_the_carrier_and_resubscribes_under_it(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    shipment = _ship(client, unshipped_order(sessions, "X002"), "圆通", "7500001")
    _run(runtime, NOW)
    param = k100_param("7500001", [], status="abort", message="3天查询无记录", com="yuantong") | {
        "autoCheck": "0",
        "comOld": "",
        "comNew": "zhongtong",
    }
    _push(client, param)
    with sessions() as s:
        carrier = s.get_one(Carrier, s.get_one(Shipment, shipment).carrier_id)
        assert carrier.code == "ZTO"
    [sub] = _subs(sessions)
    assert (sub.state, sub.aggregator_code, sub.resubscribe_at) == (
        "stalled",
        "zhongtong",
        NOW + 30 * MINUTE,
    )
    _run(runtime, NOW + 30 * MINUTE)
    assert [(p["company"], p["parameters"].get("phone")) for p in k100.accepted] == [
        ("yuantong", None),
        ("zhongtong", "8000"),  # 中通 wants the phone tail
    ]


def test_a_delivered_parcels_abort_is_not_resubscribed_and_an_unknown_waybill_is_adopted(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    # WBA003 was subscribed outside lanshou and is delivered in the world
    _push(client, k100_param("WBA003", [], status="abort", message="60天无变化"))
    [adopted] = _subs(sessions)
    assert (adopted.waybill_no, adopted.state, adopted.resubscribe_at) == (
        "WBA003",
        "stalled",
        None,
    )
    # WBA000 is awaiting pickup: lanshou takes over resubscribing it
    _push(client, k100_param("WBA000", [], status="abort", message="3天查询无记录"))
    with sessions() as s:
        adopted_again = s.execute(
            select(TrackingSubscription).where(TrackingSubscription.waybill_no == "WBA000")
        ).scalar_one()
        total = s.execute(select(func.count()).select_from(TrackingSubscription)).scalar_one()
    assert (adopted_again.state, adopted_again.resubscribe_at, total) == (
        "stalled",
        NOW + 30 * MINUTE,
        2,
    )
    _run(runtime, NOW + 30 * MINUTE)
    assert [(p["company"], p["number"]) for p in k100.accepted] == [("shunfeng", "WBA000")]


def test_the_admin_page_sets_shop_feeds_and_sends_a_failed_subscription_again(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    integration = _kuaidi100(client, k100, key="not-the-key")
    _ship(client, unshipped_order(sessions, "W001"), "顺丰", "SF9001")
    _run(runtime, NOW)
    login(client, "admin")
    page = client.get("/admin/tracking")
    assert page.status_code == 200
    assert "SF9001" in page.text and "600: 您不是合法的订阅者" in page.text
    assert "1, 2, 4, 8, 16, 32, 64, 128, 256" in page.text
    token = csrf_of(page.text)
    form = {"integration_id": str(integration), "csrf_token": token}
    refused = client.post("/admin/tracking/shops/2", data={**form, "sender_phone": "12"})
    assert refused.status_code == 422
    assert "电话至少需要四位数字。" in refused.text
    saved = client.post(
        "/admin/tracking/shops/2",
        data={**form, "sender_phone": "0571-88881234"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "物流轨迹订阅设置已保存。" in client.get(saved.headers["location"]).text
    with sessions() as s:
        feed = s.get_one(ShopTrackingFeed, 2)
        assert (feed.integration_id, feed.sender_phone) == (integration, "0571-88881234")
    [sub] = _subs(sessions)
    retried = client.post(
        f"/admin/tracking/subscriptions/{sub.id}/retry",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    assert "订阅将立即重新发送。" in client.get(retried.headers["location"]).text
    [sub] = _subs(sessions)
    assert (sub.state, sub.attempts, sub.next_attempt_at) == ("pending", 0, NOW)
    again = client.post(f"/admin/tracking/subscriptions/{sub.id}/retry", data={"csrf_token": token})
    assert again.status_code == 422
    assert "只有失败或中断的订阅可以重新发送。" in again.text


def _switch_language(client: TestClient, locale: str) -> None:
    token = csrf_of(client.get("/admin/tracking").text)
    answer = client.post(
        "/language",
        data={"locale": locale, "next": "/admin/tracking", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


@pytest.mark.parametrize(
    ("locale", "fields", "labels", "button"),
    [
        (
            "zh_CN",
            ["订阅账号", "寄件人电话"],
            ["店铺", "订单", "运单号", "订阅账号", "状态", "尝试次数", "下次尝试", "最近错误"],
            "重新发送",
        ),
        (
            "en",
            ["Feed account", "Sender phone"],
            [
                "Shop",
                "Order",
                "Waybill",
                "Feed account",
                "State",
                "Attempts",
                "Next attempt",
                "Last error",
            ],
            "Send again",
        ),
    ],
)
def test_the_admin_page_reads_as_cards_on_a_phone_each_field_named(
    client: TestClient,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    k100: FakeKuaidi100,
    locale: str,
    fields: list[str],
    labels: list[str],
    button: str,
) -> None:
    """Each shop's feed is a form of labelled fields, and each troubled subscription a row whose
    cells name themselves (the card's labels on a phone), in the reader's language."""
    _kuaidi100(client, k100, key="not-the-key")
    _ship(client, unshipped_order(sessions, "W001"), "顺丰", "SF9001")
    _run(runtime, NOW)
    login(client, "admin")
    _switch_language(client, locale)
    page = client.get("/admin/tracking").text
    with sessions() as s:
        shops = s.scalar(select(func.count()).select_from(Shop))
    assert re.findall(r'<span class="field-name">([^<]*)</span>', page) == fields * int(shops or 0)
    assert re.findall(r'data-label="([^"]*)"', page) == labels
    assert re.findall(r'<li class="state-count( state-count-bad)?"><span>', page) == [
        "",
        "",
        "",
        "",
        " state-count-bad",
        "",
    ]
    assert f'<button type="submit" class="btn btn-small">{button}</button>' in page


def test_a_row_leased_by_a_worker_that_died_is_sent_once_the_lease_ends(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    _kuaidi100(client, k100)
    _ship(client, unshipped_order(sessions, "L001"), "圆通", "YT6001")
    with unit_of_work(sessions) as s:  # a worker claims the row, then dies before sending
        [job] = claim_due(s, NOW, RetryPolicy(), 10, runtime.platforms.box)
    [sub] = _subs(sessions)
    assert (job.waybill, sub.state, sub.next_attempt_at) == (
        Waybill("YT6001", "yuantong", PHONE),
        "sending",
        NOW + 5 * MINUTE,
    )
    assert _run(runtime, NOW + 4 * MINUTE).changed is False  # another worker keeps off it
    assert _run(runtime, NOW + 5 * MINUTE).subscribed == 1
    assert [p["number"] for p in k100.accepted] == ["YT6001"]


def test_an_account_refuses_a_private_api_address_and_never_shows_its_key(
    client: TestClient, sessions: sessionmaker[Session], k100: FakeKuaidi100
) -> None:
    admin = bearer(client, "admin")
    body = {"kind": "kuaidi100", "name": "快递100", "secret": K100_SALT, "subscribe_key": "K-1"}
    private = client.post(
        "/api/v1/feeds", json={**body, "api_url": "http://10.0.0.5/poll"}, headers=admin
    )
    assert private.status_code == 422
    assert private.json()["error"]["details"]["reason"] == "egress_refused"
    ftp = client.post("/api/v1/feeds", json={**body, "callback_url": "ftp://x/y"}, headers=admin)
    assert (ftp.status_code, ftp.json()["error"]["details"]["field"]) == (422, "callback_url")
    _kuaidi100(client, k100)
    [listed] = client.get("/api/v1/feeds", headers=admin).json()
    assert (listed["subscribes"], listed["callback_url"], listed["api_url"]) == (
        True,
        CALLBACK,
        k100.url,
    )
    assert k100.key not in json.dumps(listed) and K100_SALT not in json.dumps(listed)


def test_a_subscription_queued_for_a_waybill_as_written_meets_the_push_of_its_scans(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    """A shipment that kept ' sf123 ' (stored before waybills were normalised) queues 'SF123',
    the spelling 快递100 pushes: the push finds the row instead of passing it by."""
    _kuaidi100(client, k100)
    order = unshipped_order(sessions, "N001")
    with unit_of_work(sessions) as s:
        shipment = s.execute(select(Shipment).where(Shipment.order_id == order)).scalar_one()
        shipment.waybill_no, shipment.shipped_at = " sf123 ", NOW
        s.flush()
        queue_tracking_subscriptions(s, [shipment.id], NOW)
    [queued] = _subs(sessions)
    assert (queued.shipment_id, queued.waybill_no, queued.state) == (
        shipment.id,
        "SF123",
        "pending",
    )
    _push(client, k100_param("SF123", [], status="abort", message="3天查询无记录"))
    [met] = _subs(sessions)
    assert (met.id, met.state, met.last_error, met.resubscribe_at) == (
        queued.id,
        "stalled",
        "3天查询无记录",
        NOW + 30 * MINUTE,
    )


def test_the_kuaidi100_key_is_stored_sealed_and_a_key_stored_in_clear_is_sealed_at_start(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    from sqlalchemy import inspect, text

    from lanshou.adapters.db.migrate import HEAD, downgrade, stored_revisions
    from lanshou.adapters.db.models import FeedIntegration
    from lanshou.bootstrap import bootstrap

    integration = _kuaidi100(client, k100)
    with sessions() as s:
        row = s.get_one(FeedIntegration, integration)
        assert row.subscribe_key_enc is not None
        assert k100.key not in row.subscribe_key_enc
        assert runtime.platforms.box.open(row.subscribe_key_enc) == k100.key
    # As a row stored before migration 0021 holds it: in clear, nothing sealed (the clear
    # column exists up to 0024; 0025 seals what is left in it and drops it).
    engine = sessions.kw["bind"]
    engine.dispose()
    downgrade(engine, "0024")
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE feed_integrations SET subscribe_key = :key, subscribe_key_enc = NULL "
                "WHERE id = :id"
            ),
            {"key": k100.key, "id": integration},
        )
    # The next start migrates, sealing it (the same secret key as the runtime's).
    url = engine.url.render_as_string(hide_password=False)
    started = bootstrap(runtime.settings.model_copy(update={"database_url": url}))
    started.engine.dispose()
    assert stored_revisions(engine) == [HEAD]
    columns = {c["name"] for c in inspect(engine).get_columns("feed_integrations")}
    assert "subscribe_key" not in columns
    with unit_of_work(sessions) as s:
        row = s.get_one(FeedIntegration, integration)
        assert runtime.platforms.box.open(row.subscribe_key_enc) == k100.key  # type: ignore[arg-type]
    _ship(client, unshipped_order(sessions, "C002"), "顺丰", "sf2002")
    assert _run(runtime, NOW).subscribed == 1
    assert [p["number"] for p in k100.accepted] == ["SF2002"]


def test_an_account_whose_key_does_not_open_fails_its_rows_alone_and_says_what_to_do(
    client: TestClient, sessions: sessionmaker[Session], runtime: Runtime, k100: FakeKuaidi100
) -> None:
    """LANSHOU_SECRET_KEY changed since one account's key was entered: that account's rows
    fail (audited, with a message naming it), another shop's account still subscribes."""
    from lanshou.adapters.db.models import FeedIntegration
    from lanshou.platforms import SecretBox

    broken = _kuaidi100(client, k100)  # shop 1
    working = _integration(
        client,
        {
            "kind": "kuaidi100",
            "name": "快递100 茶舍",
            "secret": K100_SALT,
            "subscribe_key": k100.key,
            "callback_url": CALLBACK,
            "api_url": k100.url,
        },
    )
    _use(client, working, shop=2)
    with unit_of_work(sessions) as s:
        row = s.get_one(FeedIntegration, broken)
        row.subscribe_key_enc = SecretBox("the-secret-key-before-it-was-changed").seal(k100.key)
    _ship(client, unshipped_order(sessions, "R001"), "顺丰", "SF8001")
    _ship(client, unshipped_order(sessions, "R002"), "顺丰", "SF8002")
    body = {
        "order_id": unshipped_order(sessions, "R003", shop=2),
        "carrier": "顺丰",
        "waybill": "SF8003",
        "shipped_at": "2026-11-04T10:00:00+08:00",
    }
    shipped = client.post("/api/v1/shipments", json=body, headers=bearer(client, "admin"))
    assert shipped.status_code == 200, shipped.text
    run = _run(runtime, NOW)
    assert (run.subscribed, run.retried, run.failed, run.deferred) == (1, 0, 2, 0)
    expected = (  # a refusal of lanshou's own, as a carrier it cannot subscribe reads
        f"lanshou: tracking feed '快递100 主账号' (#{broken}, kuaidi100): its stored key does "
        "not decrypt with the current LANSHOU_SECRET_KEY (it was changed since the key was "
        "entered); enter the key again in the feed's settings, or restore the previous "
        "LANSHOU_SECRET_KEY, then send the failed subscriptions again"
    )
    assert [(s.waybill_no, s.integration_id, s.state, s.last_error) for s in _subs(sessions)] == [
        ("SF8001", broken, "failed", expected),
        ("SF8002", broken, "failed", expected),
        ("SF8003", working, "subscribed", None),
    ]
    assert [p["number"] for p in k100.accepted] == ["SF8003"]
    with sessions() as s:
        audits = s.execute(
            select(AuditEvent.reason, AuditEvent.data)
            .where(AuditEvent.action == "subscription_failed")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in audits] == [
        (expected, {"waybill": "SF8001", "attempts": 1}),
        (expected, {"waybill": "SF8002", "attempts": 1}),
    ]
