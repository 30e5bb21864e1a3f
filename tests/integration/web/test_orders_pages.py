"""The order list (tenant scope, filters, paging) and the order page with its timeline."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from lanshou.entrypoints.web.routes import orders as orders_route
from tests.integration.web.world import World, login

ROW = re.compile(r'<a class="mono" href="/orders/\d+">([AB]\d{3})</a>')


def _orders(client: TestClient, query: str = "") -> tuple[list[str], str]:
    response = client.get(f"/orders{query}")
    assert response.status_code == 200, response.text
    return ROW.findall(response.text), response.text


def test_a_merchant_sees_only_their_shops_orders_fifty_per_page(client: TestClient) -> None:
    login(client, "merchant")
    first, page = _orders(client)
    assert len(first) == 50 and first[0] == "A052" and first[-1] == "A003"
    assert "共 53 个订单" in page and "第 1 / 2 页" in page
    second, _ = _orders(client, "?page=2")
    assert second == ["A002", "A001", "A000"]
    assert "山野茶舍" not in page  # not even in the shop filter


def test_reviewers_see_every_shop(client: TestClient) -> None:
    login(client, "reviewer")
    rows, page = _orders(client, "?page=2")
    assert "共 57 个订单" in page
    assert len(rows) == 7


def test_filters_give_exact_counts(client: TestClient, world: World) -> None:
    login(client, "reviewer")
    cases = {
        "?status=awaiting_pickup": 14 + 4,
        "?status=awaiting_pickup&shop=1": 14,
        "?status=delivered": 13,
        "?carrier=1": 27,  # SF: statuses awaiting_pickup and in_transit in shop A
        "?carrier=2&shop=2": 4,
        # 2026-11-02 in Beijing time: A014 (00:00) … A037 (23:00), and all of shop B
        "?paid_from=2026-11-02&paid_to=2026-11-02": 24 + 4,
        "?paid_from=2026-11-02&paid_to=2026-11-02&shop=1&status=in_transit": 6,
        "?status=returned": 0,
    }
    for query, expected in cases.items():
        _, page = _orders(client, query)
        assert f"共 {expected} 个订单" in page, query


def test_page_links_keep_the_filters(client: TestClient) -> None:
    login(client, "reviewer")
    _, page = _orders(client, "?shop=1&carrier=&status=&paid_from=2026-11-01")
    assert "共 53 个订单" in page
    assert 'href="/orders?shop=1&amp;paid_from=2026-11-01&amp;page=2"' in page


def test_a_bad_filter_value_is_a_422_page(client: TestClient) -> None:
    login(client, "merchant")
    assert client.get("/orders?status=lost").status_code == 422
    assert client.get("/orders?paid_from=yesterday").status_code == 422


def test_the_list_shows_beijing_time_yuan_and_time_left(client: TestClient) -> None:
    login(client, "merchant")
    _, page = _orders(client, "?page=2")
    row = page.split(">A000</a>")[1].split("</tr>")[0]
    assert "2026-11-01 10:00" in row and "¥12.30" in row
    assert "顺丰" in row and "WBA000" in row and "待揽收" in row
    assert "剩余 3小时20分" in row


def test_the_order_page_shows_items_shipment_and_newest_tracking_first(
    client: TestClient, world: World
) -> None:
    login(client, "merchant")
    page = client.get(f"/orders/{world.order_ids['A002']}").text
    assert "明前龙井 250g" in page and "¥1.16" in page and "¥12.32" in page
    assert "杭州西湖网点" in page and "王师傅" in page and "13800000001" in page
    assert "2026-11-01 14:05" in page  # pickup time, Beijing
    times = re.findall(r"<time [^>]*>([^<]+)</time>", page)
    assert times == ["2026-11-01 16:50:00", "2026-11-01 14:50:00", "2026-11-01 14:05:00"]
    assert page.count("来源: 快递100") == 3


def test_another_shops_order_is_a_404_without_its_data(client: TestClient, world: World) -> None:
    login(client, "merchant")
    response = client.get(f"/orders/{world.order_ids['B001']}")
    assert response.status_code == 404
    assert "B001" not in response.text and "山野茶舍" not in response.text
    assert "页面或记录不存在，或您无权查看。" in response.text
    assert client.get("/orders/999999").status_code == 404


def test_past_the_count_cap_the_list_says_more_and_the_last_page_knows_the_total(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap is 10,000 in service; 50 makes the merchant's 53 orders run past it.
    monkeypatch.setattr(orders_route, "COUNT_CAP", 50)
    login(client, "merchant")
    first, page = _orders(client)
    assert len(first) == 50 and first[0] == "A052"
    assert "超过 50 个订单" in page and "第 1 页" in page and "共 53" not in page
    assert 'href="/orders?page=2" rel="next"' in page
    second, page = _orders(client, "?page=2")
    assert second == ["A002", "A001", "A000"]
    assert "共 53 个订单" in page and "第 2 / 2 页" in page and 'rel="next"' not in page


def test_every_row_carries_its_column_labels_for_narrow_screens(client: TestClient) -> None:
    """The labels are translated once per page: every one of the 50 rows still has them."""
    login(client, "merchant")
    _, page = _orders(client)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 50
    for label in ("订单号", "店铺", "支付时间", "金额", "快递公司", "快递单号", "状态", "截止时间"):
        assert [row.count(f'data-label="{label}"') for row in rows] == [1] * 50, label
