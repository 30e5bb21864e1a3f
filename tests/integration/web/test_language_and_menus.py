"""The language switch persists; menus show only what a role may open."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import User
from tests.integration.web.world import csrf_of, login


def _switch(client: TestClient, locale: str, next_url: str = "/orders") -> None:
    token = csrf_of(
        client.get("/login" if "lanshou_session" not in client.cookies else next_url).text
    )
    response = client.post(
        "/language",
        data={"locale": locale, "next": next_url, "csrf_token": token},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, next_url)


def test_chinese_is_the_default(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/orders").text
    assert '<html lang="zh-CN">' in page
    assert "订单号" in page and "待揽收" in page and "商家（店主）" in page


def test_switching_to_english_persists_on_the_user(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "merchant")
    _switch(client, "en")
    page = client.get("/orders").text
    assert '<html lang="en">' in page
    for words in (
        "Order no.",
        "Awaiting pickup",
        "Picked up",
        "Merchant (owner)",
        "Log out",
        "53 orders",
    ):
        assert words in page
    assert "待揽收" not in page
    with sessions() as s:
        assert s.execute(select(User.locale).where(User.username == "merchant")).scalar() == "en"
    client.cookies.clear()  # a new browser: the user's saved choice wins
    login(client, "merchant")
    assert "Order no." in client.get("/orders").text


def test_a_visitor_can_switch_before_logging_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    _switch(client, "en", "/login")
    assert client.cookies["lanshou_locale"] == "en"
    assert "Username" in client.get("/login").text
    login(client, "reviewer")
    with sessions() as s:
        assert s.execute(select(User.locale).where(User.username == "reviewer")).scalar() == "en"


def test_an_unknown_language_is_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/language", data={"locale": "fr", "csrf_token": token})
    assert response.status_code == 422


def test_reviewers_get_their_to_do_with_orders_but_no_admin_menu(client: TestClient) -> None:
    login(client, "reviewer")
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/orders"' in home.text and "<h1>待办</h1>" in home.text
    assert "/admin/users" not in home.text
    assert client.get("/admin/users").status_code == 403


def test_admins_see_users_and_tokens(client: TestClient) -> None:
    login(client, "admin")
    home = client.get("/").text
    assert "用户与令牌" in home and 'href="/admin/users"' in home
    page = client.get("/admin/users").text
    for username in ("merchant", "other", "staff", "reviewer", "admin"):
        assert f'<td class="mono" data-label="用户名">{username}</td>' in page


def test_merchants_have_the_board_and_the_orders_menu(client: TestClient) -> None:
    login(client, "merchant")
    page = client.get("/orders").text
    nav = page.split('<nav class="sidenav"')[1].split("</nav>")[0]
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav) == [
        ("/", "待办"),
        ("/at-risk", "待揽收预警"),
        ("/orders", "订单"),
        ("/violations", "违规与申诉"),
        ("/complaints", "投诉处理任务"),
        ("/tasks", "我的任务"),
        ("/analytics/losses", "损失与风险"),
        ("/analytics/carriers", "快递管理"),
        ("/analytics/whatif", "假设分析"),
        ("/alerts/settings", "通知设置"),
        ("/alerts/deliveries", "通知记录"),
    ]
