"""The Foundation walk-through in real Chromium against ``lanshou serve`` with the demo world.

The merchant logs in and lands on the at-risk board, reads the order list and an order in
Chinese, switches to English, and cannot open another tenant's order; a reviewer gets the
reviewer menu. Screenshots of the main pages go to ``docs/screenshots/``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "lanshou-demo"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _query(server: LiveServer, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(server.database) as db:
        return db.execute(sql, params).fetchall()


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar lands mid-page
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def _login(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def merchant(page: Any, live_server: LiveServer) -> Iterator[Any]:
    """A merchant page in Chinese; the language is put back afterwards (it is per user)."""
    _login(page, live_server, "merchant")
    yield page
    if page.locator("html").get_attribute("lang") != "zh-CN":
        page.click(".lang-switch button[value=zh_CN]")
        page.wait_for_load_state("networkidle")


def test_the_merchant_lands_on_the_to_do_and_opens_the_at_risk_board_in_chinese(
    merchant: Any,
) -> None:
    page = merchant
    assert page.locator("h1").inner_text() == "待办"
    page.click(".sidenav >> text=待揽收预警")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "待揽收预警"
    assert page.locator(".sidenav a.active").inner_text() == "待揽收预警"
    rows = page.locator("tbody.risk-item")
    assert rows.count() > 0
    first = page.locator("[data-deadline]").first
    before = first.inner_text()
    page.wait_for_timeout(1300)  # the countdown ticks in the browser
    assert first.inner_text() != before or before == "已超时"
    assert "赔付 ¥" in page.locator(".consequence").first.inner_text()
    _shot(page, "at-risk-zh.png")


def test_the_order_list_and_an_order_page_read_in_chinese(
    merchant: Any, live_server: LiveServer
) -> None:
    page = merchant
    page.click(".sidenav >> text=订单")
    page.wait_for_load_state("networkidle")
    headers = page.locator("table.table thead th").all_inner_texts()
    assert headers == [
        "订单号",
        "店铺",
        "支付时间",
        "金额",
        "快递公司",
        "快递单号",
        "状态",
        "截止时间",
    ]
    assert page.locator("table.table tbody tr").count() == 50
    assert "共 " in page.locator(".result-count").inner_text()
    _shot(page, "orders-zh.png")

    order_id, external_id = _query(
        live_server,
        "SELECT o.id, o.external_id FROM orders o JOIN shipments s ON s.order_id = o.id "
        "JOIN violations v ON v.shipment_id = s.id "
        "JOIN shop_memberships m ON m.shop_id = o.shop_id "
        "JOIN users u ON u.id = m.user_id AND u.username = 'merchant' "
        "WHERE (SELECT count(*) FROM tracking_events t WHERE t.shipment_id = s.id) >= 3 "
        "ORDER BY o.id LIMIT 1",
    )[0]
    page.goto(f"{live_server.url}/orders/{order_id}")
    assert external_id in page.locator("h1").inner_text()
    assert page.locator(".timeline-item").count() >= 3
    assert page.locator(".timeline-wrap h4").first.inner_text() == "物流轨迹"
    why = page.locator("details.why").first
    why.locator("summary").click()
    assert "已记录违规" in why.inner_text()
    # 判定说明 in labelled lines, not the engine's bilingual dump
    assert why.locator("dl.explanation").count() >= 1
    assert why.locator(".why-lines").count() == 0
    assert why.locator("dl.explanation .explanation-deadline dt").first.inner_text() == "违规截止"
    _shot(page, "order-detail-zh.png", full_page=True)


def test_switching_to_english_translates_the_pages(merchant: Any, live_server: LiveServer) -> None:
    page = merchant
    page.goto(f"{live_server.url}/orders")
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("table.table thead th").first.inner_text() == "Order no."
    assert page.locator(".sidenav a").all_inner_texts() == [
        "To do",
        "At risk",
        "Orders",
        "Violations & appeals",
        "Complaint tasks",
        "My tasks",
        "Losses & risk",
        "Carriers",
        "What-if",
        "Alert settings",
        "Delivery log",
    ]
    _shot(page, "orders-en.png")
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "To do"


def test_a_merchant_cannot_open_another_shops_order(merchant: Any, live_server: LiveServer) -> None:
    page = merchant
    foreign = _query(
        live_server,
        "SELECT o.id, o.external_id, s.name FROM orders o JOIN shops s ON s.id = o.shop_id "
        "JOIN platforms p ON p.id = s.platform_id WHERE p.code = 'pinduoduo' AND s.id NOT IN "
        "(SELECT m.shop_id FROM shop_memberships m JOIN users u ON u.id = m.user_id "
        " WHERE u.username = 'merchant') ORDER BY o.id LIMIT 1",
    )
    assert foreign, "the demo world has a Pinduoduo shop the merchant is not a member of"
    order_id, external_id, shop = foreign[0]
    response = page.goto(f"{live_server.url}/orders/{order_id}")
    assert response is not None and response.status == 404
    body = page.content()
    assert "页面或记录不存在" in body
    assert external_id not in body and shop not in body


def test_a_reviewer_gets_the_reviewer_menu(page: Any, live_server: LiveServer) -> None:
    _login(page, live_server, "reviewer")
    links = page.locator(".sidenav a").all_inner_texts()
    assert links == ["待办", "订单", "申诉审核", "投诉", "我的任务"]
    assert page.locator(".role-tag").inner_text() == "审核员"
    response = page.goto(f"{live_server.url}/at-risk")
    assert response is not None and response.status == 403
