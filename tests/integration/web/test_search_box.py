"""The header's search box: order number, waybill (any case, spaces) or the buyer's phone tail,
within the caller's shops; one hit opens the order, several are listed, none says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Order
from lanshou.enforcement.rules_context import RulesContext
from lanshou.imports import import_orders
from tests.integration.web.world import NOW, World, login

CTX = RulesContext()

HIT = re.compile(r'<a class="mono" href="/orders/(\d+)">([AB]\d{3})</a>')


@pytest.fixture
def tails(sessions: sessionmaker[Session], world: World) -> World:
    with sessions() as s:
        for ext, tail in (("A001", "1234"), ("A010", "1234"), ("B000", "5678")):
            s.execute(
                update(Order).where(Order.id == world.order_ids[ext]).values(buyer_phone_tail=tail)
            )
        s.commit()
    return world


def _search(client: TestClient, q: str) -> object:
    return client.get("/search", params={"q": q}, follow_redirects=False)


def test_one_match_opens_the_order(client: TestClient, tails: World) -> None:
    login(client, "merchant")
    a002 = f"/orders/{tails.order_ids['A002']}"
    for q in ("A002", "WBA002", "  wba002 "):  # the waybill as stored: trimmed, upper case
        response = _search(client, q)
        assert response.status_code == 303, q  # type: ignore[attr-defined]
        assert response.headers["location"] == a002  # type: ignore[attr-defined]


def test_a_phone_tail_lists_every_order_newest_first(client: TestClient, tails: World) -> None:
    login(client, "merchant")
    page = _search(client, "1234")
    assert page.status_code == 200  # type: ignore[attr-defined]
    text = page.text  # type: ignore[attr-defined]
    assert HIT.findall(text) == [
        (str(tails.order_ids["A010"]), "A010"),
        (str(tails.order_ids["A001"]), "A001"),
    ]
    assert "共 2 个订单匹配“1234”。" in text and text.count("<td>买家手机尾号</td>") == 2


def test_another_shops_order_is_not_found_for_a_merchant_but_is_for_an_admin(
    client: TestClient, tails: World
) -> None:
    login(client, "merchant")
    for q in ("5678", "B000", "WBB000"):
        page = _search(client, q)
        assert page.status_code == 200  # type: ignore[attr-defined]
        assert f"您的店铺中没有与“{q}”匹配的订单。" in page.text  # type: ignore[attr-defined]
        assert "山野茶舍" not in page.text  # type: ignore[attr-defined]
    client.cookies.clear()
    login(client, "admin")
    response = _search(client, "5678")
    assert response.headers["location"] == f"/orders/{tails.order_ids['B000']}"  # type: ignore[attr-defined]


def test_empty_or_too_long_text_is_explained(client: TestClient, tails: World) -> None:
    login(client, "merchant")
    for q in ("", "   ", "x" * 65):
        page = _search(client, q)
        assert page.status_code == 422  # type: ignore[attr-defined]
        assert "请输入订单号、运单号或买家手机后 4 位（最多 64 个字符）。" in page.text  # type: ignore[attr-defined]
    partial = _search(client, "A00").text  # type: ignore[attr-defined]
    assert HIT.findall(partial) == [] and "您的店铺中没有与“A00”匹配的订单。" in partial


def test_every_page_has_the_search_box(client: TestClient, tails: World) -> None:
    login(client, "merchant")
    for path in ("/", "/orders", "/violations", "/at-risk", "/tasks"):
        page = client.get(path).text
        assert '<form class="topbar-search" role="search" method="get" action="/search">' in page
    client.cookies.clear()
    assert "topbar-search" not in client.get("/login").text


def test_an_imported_douyin_export_is_found_by_the_buyers_phone_tail(
    client: TestClient, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    """A GBK 抖店 export with masked phones, imported into the merchant's shop: the tail finds
    every order with it, newest first; the masked number itself is stored nowhere."""
    lines = [
        "主订单编号,子订单编号,选购商品,商品单价,商品数量,订单应付金额,支付完成时间,订单状态,"
        "收件人手机号",
        "D100,D100-1,保温杯,30.00,1,30.00,2026/11/1 8:03,待发货,138****1234",
        "D101,D101-1,茶叶,99.00,1,99.00,2026/11/2 9:00,待发货,139****1234",
        "D102,D102-1,茶叶,99.00,1,99.00,2026/11/3 9:00,待发货,137****5678",
    ]
    path = tmp_path / "douyin.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    summary = import_orders(sessions, path, source="douyin", shop="a", now=NOW, ctx=CTX)
    assert (summary.inserted, summary.rejected) == (3, 0)
    with sessions() as s:
        found = s.execute(select(Order.external_id, Order.id).where(Order.shop_id == 1))
        ids = {ext: oid for ext, oid in found}

    login(client, "merchant")
    page = client.get("/search", params={"q": "1234"})
    assert page.status_code == 200
    hits = re.findall(r'<a class="mono" href="/orders/(\d+)">(D\d{3})</a>', page.text)
    assert hits == [(str(ids["D101"]), "D101"), (str(ids["D100"]), "D100")]
    assert "共 2 个订单匹配“1234”。" in page.text and "138****1234" not in page.text
    one = client.get("/search", params={"q": "5678"}, follow_redirects=False)
    assert one.headers["location"] == f"/orders/{ids['D102']}"
