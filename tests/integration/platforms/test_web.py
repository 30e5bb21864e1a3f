"""The admin page of platform connections (zh-CN and en), the code flow, the order page."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Order, PlatformConnection
from lanshou.bootstrap import Runtime
from lanshou.platforms.sync import sync_connection
from tests.douyin_gateway import FakeDouyinGateway
from tests.integration.platforms.conftest import APP_KEY, APP_SECRET
from tests.integration.platforms.test_api import fake
from tests.integration.web.world import (
    NOW,
    _fast_password_hashing,
    client,
    csrf_of,
    login,
    runtime,
    world,
)

__all__ = ["_fast_password_hashing", "client", "fake", "runtime", "world"]


def _english(client: TestClient) -> None:
    token = csrf_of(client.get("/admin/platforms").text)
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/"})


def test_the_admin_page_shows_state_last_sync_cursor_and_last_error_in_both_languages(
    client: TestClient, fake: FakeDouyinGateway, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        conn = s.execute(select(PlatformConnection)).scalar_one()
        conn.state, conn.last_error = "failing", "order.searchList: 60000 流量超限"
        conn.last_sync_at, conn.sync_cursor = NOW - timedelta(hours=1), NOW - timedelta(hours=1)
        s.commit()
    login(client, "admin")
    page = client.get("/admin/platforms")
    assert page.status_code == 200
    html = page.text
    for text in (
        "平台连接",
        "同步失败",
        "最近同步",
        "2026-11-04 11:00",
        "已同步至（订单更新时间）",
        "order.searchList: 60000 流量超限",
        APP_KEY,
        "自用型应用",
        "甜橙小铺",
    ):
        assert text in html, text
    assert APP_SECRET not in html and "access-1" not in html
    _english(client)
    html = client.get("/admin/platforms").text
    for text in (
        "Platform connections",
        "Failing",
        "Last sync",
        "Orders updated up to",
        "Self-use app",
        "Connect a shop with an authorisation code",
    ):
        assert text in html, text


def test_only_administrators_see_the_page(client: TestClient, fake: FakeDouyinGateway) -> None:
    login(client, "merchant")
    assert client.get("/admin/platforms").status_code == 403


def test_the_code_flow_connects_a_shop_and_a_refused_code_says_why(
    client: TestClient, fake: FakeDouyinGateway, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    form = {
        "shop": "b",
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "code": "bad-code",
        "gateway": "https://openapi-fxg.jinritemai.com",
    }
    token = csrf_of(client.get("/admin/platforms").text)
    refused = client.post("/admin/platforms/douyin/code", data={**form, "csrf_token": token})
    assert refused.status_code == 422
    assert (
        "抖店拒绝了授权：token.create: 50002 授权码无效 "
        "(isv.business-failed:code-invalid: 授权码无效)"
    ) in refused.text
    assert APP_SECRET not in refused.text
    fake.auth_codes.add("good-code")
    done = client.post(
        "/admin/platforms/douyin/code",
        data={**form, "code": "good-code", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "店铺「山野茶舍」已接入抖店。" in client.get(done.headers["location"]).text
    with sessions() as s:
        kinds = dict(
            s.execute(select(PlatformConnection.shop_id, PlatformConnection.auth_kind)).all()
        )
    assert kinds == {1: "self", 2: "code"}


def test_marking_shipped_on_the_order_page_shows_the_platforms_answer(
    client: TestClient, fake: FakeDouyinGateway, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    fake.put_order("6101", updated=NOW - timedelta(minutes=5), status=4)
    sync_connection(
        sessions, runtime.platforms, runtime.rules, 1, NOW, since=NOW - timedelta(hours=1)
    )
    with sessions() as s:
        order_id = s.execute(select(Order.id).where(Order.external_id == "6101")).scalar_one()
    login(client, "merchant")
    token = csrf_of(client.get(f"/orders/{order_id}").text)
    shipped = client.post(
        f"/orders/{order_id}/ship",
        data={"carrier": "顺丰", "waybill": "SF777", "shipped_at": "", "csrf_token": token},
    )
    assert shipped.status_code == 200
    assert "平台已拒绝" in shipped.text
    assert "order.logisticsAdd: 50002 订单状态不允许发货" in shipped.text
