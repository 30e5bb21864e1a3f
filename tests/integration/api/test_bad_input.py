"""Bad input gets a clear 4xx, never a 500: ids and pages out of range, dates at the ends of the
calendar, times without an offset, a shop that does not exist, bodies that are not UTF-8 — through
the JSON API and the pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lanshou.entrypoints.api.router import build_api_router
from lanshou.entrypoints.web.router import build_web_router
from tests.integration.web.world import World, bearer, csrf_of, login

TOO_BIG = 2**63  # one past SQLite's and PostgreSQL's largest integer
MAX_ID = 2**53 - 1
OVER_ID = "Input should be less than or equal to 9007199254740991"


def refusal(*problems: tuple[list[Any], str]) -> dict[str, Any]:
    """The API's answer to input that does not validate, with each field and its problem."""
    return {
        "error": {
            "code": "invalid_input",
            "message": "invalid request",
            "details": [{"loc": loc, "msg": msg} for loc, msg in problems],
        }
    }


def test_an_id_past_the_database_range_is_a_422_naming_it(client: TestClient) -> None:
    headers = bearer(client, "merchant")
    for value in (TOO_BIG, MAX_ID + 1):
        response = client.get(f"/api/v1/orders/{value}", headers=headers)
        assert response.status_code == 422
        assert response.json() == refusal((["path", "order_id"], OVER_ID))
    zero = client.get("/api/v1/orders/0", headers=headers)
    assert zero.json() == refusal(
        (["path", "order_id"], "Input should be greater than or equal to 1")
    )
    largest = client.get(f"/api/v1/orders/{MAX_ID}", headers=headers)
    assert largest.status_code == 404
    assert largest.json() == {
        "error": {"code": "not_found", "message": f"order {MAX_ID} not found"}
    }


def test_ids_in_query_and_body_are_bounded_too(client: TestClient) -> None:
    headers = bearer(client, "reviewer")
    shop = client.get(f"/api/v1/orders?shop_id={TOO_BIG}", headers=headers)
    assert shop.json() == refusal((["query", "shop_id"], OVER_ID))
    body = client.post(
        "/api/v1/complaints",
        json={"order_id": TOO_BIG, "reason": "破损"},
        headers=bearer(client, "admin"),
    )
    assert body.status_code == 422
    assert body.json() == refusal((["body", "order_id"], OVER_ID))


def test_a_page_whose_offset_would_overflow_is_refused_and_the_last_allowed_is_empty(
    client: TestClient,
) -> None:
    headers = bearer(client, "merchant")
    huge = client.get("/api/v1/orders?page=4611686018427387904", headers=headers)
    assert huge.json() == refusal(
        (["query", "page"], "Input should be less than or equal to 1000000000")
    )
    last = client.get("/api/v1/orders?page=1000000000&per_page=200", headers=headers).json()
    assert (last["items"], last["total"], last["page"], last["pages"]) == ([], 53, 1000000000, 1)


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("paid_to=9999-12-31", 53),
        ("paid_from=0001-01-01", 53),
        ("paid_from=0001-01-01&paid_to=9999-12-31", 53),
        ("paid_from=9999-12-31", 0),
        ("paid_to=0001-01-01", 0),
        ("paid_from=2026-11-03&paid_to=9999-12-31", 15),
    ],
)
def test_dates_at_the_ends_of_the_calendar_filter_exactly(
    client: TestClient, query: str, total: int
) -> None:
    """Shop A's 53 orders are paid hourly from 2026-11-01 10:00; 15 of them (A038‥A052) on 11-03."""
    response = client.get(f"/api/v1/orders?{query}", headers=bearer(client, "merchant"))
    assert response.status_code == 200
    assert response.json()["total"] == total


def test_a_body_that_is_not_utf8_is_a_422_like_any_other_bad_body(client: TestClient) -> None:
    headers = {**bearer(client, "admin"), "Content-Type": "application/json"}
    response = client.post(
        "/api/v1/complaints", content=b'{"order_id": 1, "reason": "\xff\xfe"}', headers=headers
    )
    assert response.status_code == 422
    assert response.json() == refusal((["body"], "There was an error parsing the body"))


def _paths(router: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route with a parameter in its path, through included routers."""
    for route in router.routes:
        if hasattr(route, "original_router"):
            yield from _paths(route.original_router, prefix + route.include_context.prefix)
        elif "{" in getattr(route, "path", ""):
            for method in sorted(route.methods):
                yield method, prefix + route.path


def _with_too_big_ids(path: str) -> str:
    parts = [f"{TOO_BIG}" if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


def test_every_api_path_id_is_bounded(client: TestClient) -> None:
    headers = bearer(client, "admin")
    checked = 0
    for method, path in _paths(build_api_router(), "/api/v1"):
        response = client.request(method, _with_too_big_ids(path), headers=headers)
        assert response.status_code == 422, (method, path, response.text)
        names = {p.strip("{}") for p in path.split("/") if p.startswith("{")}
        locs = {tuple(d["loc"]) for d in response.json()["error"]["details"]}
        assert {("path", n) for n in names} <= locs, (method, path)
        checked += 1
    assert checked == 21  # tracking feed, subscription retry, contact log and receipts included


def test_every_page_id_is_bounded(client: TestClient) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/orders").text)
    checked = 0
    for method, path in _paths(build_web_router()):
        response = client.request(
            method, _with_too_big_ids(path), headers={"X-CSRF-Token": token}, follow_redirects=False
        )
        assert response.status_code == 422, (method, path)
        assert "text/html" in response.headers["content-type"]
        checked += 1
    assert checked == 29  # admin tracking shop and subscription retry included


@pytest.mark.parametrize(
    "query",
    [
        f"shop={TOO_BIG}",
        f"carrier={TOO_BIG}",
        "page=4611686018427387904",
        "page=x",
        "shop=-1",
        "page=²",
        "page=" + "9" * 5000,  # a digit int() refuses; more digits than int() reads
    ],
)
def test_the_order_list_page_refuses_numbers_out_of_range(client: TestClient, query: str) -> None:
    login(client, "admin")
    assert client.get(f"/orders?{query}").status_code == 422


def test_the_order_list_page_takes_dates_at_the_ends_of_the_calendar(client: TestClient) -> None:
    login(client, "merchant")
    response = client.get("/orders?paid_from=0001-01-01&paid_to=9999-12-31")
    assert response.status_code == 200
    assert "共 53 个订单" in response.text


def test_a_task_for_an_entity_id_out_of_range_is_a_422_page(client: TestClient) -> None:
    login(client, "admin")
    assert client.get(f"/assign?entity=shipment:{TOO_BIG}").status_code == 422


@pytest.mark.parametrize("shipped_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_shipping_time_at_the_ends_of_the_calendar_is_the_form_error(
    client: TestClient, world: World, shipped_at: str
) -> None:
    login(client, "merchant")
    page = f"/orders/{world.order_ids['A001']}"
    token = csrf_of(client.get(page).text)
    response = client.post(
        f"{page}/ship",
        data={"carrier": "中通", "waybill": "ZT1", "shipped_at": shipped_at, "csrf_token": token},
    )
    # A001's parcel is marked already, so the page has no ship form to show the message in.
    assert response.status_code == 422


def test_a_task_due_at_the_ends_of_the_calendar_is_the_form_error(
    client: TestClient, world: World
) -> None:
    login(client, "admin")
    entity = f"shipment:{world.order_ids['A000']}"
    token = csrf_of(client.get(f"/assign?entity={entity}").text)
    response = client.post(
        "/tasks",
        data={
            "entity": entity,
            "assignee_id": "1",
            "due_at": "9999-12-31T23:59",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "无法保存：截止时间须为 2000 年至 2100 年之间的日期和时间（北京时间）。" in response.text


@pytest.mark.parametrize("shop", [str(TOO_BIG), "²", "9" * 5000])
def test_a_shop_filter_out_of_range_on_the_work_lists_means_no_filter(
    client: TestClient, shop: str
) -> None:
    login(client, "admin")
    for page in ("/review", "/violations"):
        assert client.get(f"{page}?shop={shop}").status_code == 200, page


@pytest.mark.parametrize(
    ("sub", "status"),
    [
        ("at_risk:²", 422),
        ("at_risk:99999999999", 422),
        ("at_risk:10081", 422),
        ("at_risk:10080", 404),
        ("breach:0", 404),  # valid: the missing channel is what is refused
    ],
)
def test_alert_lead_minutes_out_of_range_are_refused_before_the_channel_is_looked_up(
    client: TestClient, sub: str, status: int
) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/orders").text)
    response = client.post(
        "/alerts/channels/999/subscriptions",
        data={"sub": sub, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == status
