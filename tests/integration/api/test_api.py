"""The JSON API: health, bearer tokens, tenant-scoped orders, integration tokens, offline docs."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import ApiToken, AuditEvent
from lanshou.bootstrap import Runtime
from lanshou.clock import FixedClock
from tests.integration.web.world import PASSWORD, World, bearer


def test_health_reports_the_database_and_version(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": "0.1.0"}


def test_a_token_comes_from_a_form_or_json(client: TestClient) -> None:
    form = client.post("/api/v1/auth/token", data={"username": "merchant", "password": PASSWORD})
    body = client.post("/api/v1/auth/token", json={"username": "merchant", "password": PASSWORD})
    for response in (form, body):
        assert response.status_code == 200
        data = response.json()
        assert data["token_type"] == "bearer" and data["expires_in"] == 12 * 3600
        assert data["access_token"].startswith("lsk_")


def _later(runtime: Runtime, seconds: int) -> None:
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.at += timedelta(seconds=seconds)


def test_wrong_credentials_are_a_generic_401(client: TestClient, runtime: Runtime) -> None:
    wrong = client.post("/api/v1/auth/token", json={"username": "merchant", "password": "nope"})
    _later(runtime, 2)  # the back-off after one failure
    unknown = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": {"code": "authentication_failed", "message": "invalid username or password"}}
    )
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_the_token_endpoint_is_throttled_too(client: TestClient, runtime: Runtime) -> None:
    for wait in (2, 4, 8, 16, 0):
        failed = client.post(
            "/api/v1/auth/token", json={"username": "merchant", "password": "nope"}
        )
        assert failed.status_code == 401
        _later(runtime, wait)
    response = client.post(
        "/api/v1/auth/token", json={"username": "merchant", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "login_throttled",
            "message": "too many failed logins; try again in 32 seconds",
        }
    }
    assert response.headers["retry-after"] == "32"
    _later(runtime, 32)
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": "merchant", "password": PASSWORD}
        ).status_code
        == 200
    )


def test_orders_need_a_valid_bearer_token(client: TestClient) -> None:
    assert client.get("/api/v1/orders").status_code == 401
    bad = client.get("/api/v1/orders", headers={"Authorization": "Bearer lsk_forged"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "authentication_failed"


def test_a_merchant_lists_only_their_orders_with_exact_paging(client: TestClient) -> None:
    headers = bearer(client, "merchant")
    first = client.get("/api/v1/orders", headers=headers).json()
    assert (first["total"], first["pages"], len(first["items"])) == (53, 2, 50)
    assert {o["shop_name"] for o in first["items"]} == {"甜橙小铺"}
    last = client.get("/api/v1/orders?page=2", headers=headers).json()
    assert [o["external_id"] for o in last["items"]] == ["A002", "A001", "A000"]
    a000 = last["items"][2]
    assert a000["amount"] == "12.30"
    assert a000["paid_at"] == "2026-11-01T10:00:00+08:00"
    assert a000["next_deadline_at"] == "2026-11-04T15:20:00+08:00"
    assert a000["shipments"] == [
        {
            "id": a000["shipments"][0]["id"],
            "carrier_code": "SF",
            "waybill_no": "WBA000",
            "status": "awaiting_pickup",
        }
    ]


def test_filters_match_the_pages(client: TestClient) -> None:
    headers = bearer(client, "reviewer")
    cases = {
        "status=awaiting_pickup": 18,
        "carrier_id=1": 27,
        "shop_id=2": 4,
        "paid_from=2026-11-02&paid_to=2026-11-02": 28,
        "status=returned": 0,
    }
    for query, expected in cases.items():
        assert client.get(f"/api/v1/orders?{query}", headers=headers).json()["total"] == expected
    invalid = client.get("/api/v1/orders?status=lost", headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_input"


def test_order_detail_has_items_shipments_and_tracking(client: TestClient, world: World) -> None:
    headers = bearer(client, "merchant")
    order = client.get(f"/api/v1/orders/{world.order_ids['A002']}", headers=headers).json()
    assert order["amount"] == "12.32" and order["platform"] == "douyin"
    assert order["items"] == [
        {"sku": "TEA-01", "title": "明前龙井 250g", "unit_price": "10.00", "quantity": 1},
        {"sku": "CUP-02", "title": "玻璃杯", "unit_price": "1.16", "quantity": 2},
    ]
    (shipment,) = order["shipments"]
    assert shipment["courier"] == {"name": "王师傅", "phone": "13800000001"}
    assert shipment["outlet_name"] == "杭州西湖网点"
    assert shipment["picked_up_at"] == "2026-11-01T14:05:00+08:00"
    assert [e["event_time"] for e in shipment["tracking"]] == [
        "2026-11-01T16:50:00+08:00",
        "2026-11-01T14:50:00+08:00",
        "2026-11-01T14:05:00+08:00",
    ]


def test_another_tenants_order_is_a_404(client: TestClient, world: World) -> None:
    headers = bearer(client, "merchant")
    response = client.get(f"/api/v1/orders/{world.order_ids['B000']}", headers=headers)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": f"order {world.order_ids['B000']} not found"}
    }
    other = bearer(client, "other")
    assert client.get(f"/api/v1/orders/{world.order_ids['B000']}", headers=other).status_code == 200


def test_admins_create_integration_tokens_that_work_until_revoked(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(client, "admin")
    created = client.post("/api/v1/tokens", json={"name": "ERP", "user_id": 2}, headers=admin)
    assert created.status_code == 201
    data = created.json()
    assert (data["name"], data["username"], data["revoked_at"]) == ("ERP", "other", None)
    assert data["token"].startswith("lsi_")
    integration = {"Authorization": f"Bearer {data['token']}"}
    assert client.get("/api/v1/orders", headers=integration).json()["total"] == 4  # as "other"
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["ERP"] and "token" not in listed[0]
    revoked = client.delete(f"/api/v1/tokens/{data['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/orders", headers=integration).status_code == 401
    with sessions() as s:
        actions = s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["created", "revoked"]


def test_staff_and_reviewers_cannot_create_tokens(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    for username in ("staff", "reviewer"):
        response = client.post(
            "/api/v1/tokens", json={"name": "x"}, headers=bearer(client, username)
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    with sessions() as s:
        kinds = s.execute(select(ApiToken.kind)).scalars().all()
    assert kinds == ["session", "session"]


def test_docs_use_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
    ):
        assert asset in page.text and client.get(asset).status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/health",
        "/api/v1/auth/token",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/tokens",
    } <= set(spec["paths"])
    assert not any(p.startswith("/orders") or p == "/login" for p in spec["paths"])


def test_unknown_api_paths_answer_in_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_tracking_only_token_posts_events_and_gets_a_clear_403_elsewhere(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(client, "admin")
    created = client.post(
        "/api/v1/tokens",
        json={"name": "快递柜回传", "scopes": ["tracking:write"]},  # the admin's own rights
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == ["tracking:write"]
    scoped = {"Authorization": f"Bearer {created.json()['token']}"}
    event = {"carrier": "SF", "waybill": "SF0001", "time": "2026-11-04T10:00:00+08:00"}
    posted = client.post(
        "/api/v1/tracking/events",
        json={"events": [{**event, "status": "picked_up", "location": "杭州"}]},
        headers=scoped,
    )
    assert (posted.status_code, posted.json()["received"]) == (200, 1), posted.text
    receipt_id = posted.json()["receipt_id"]
    receipt = client.get(f"/api/v1/tracking/receipts/{receipt_id}", headers=scoped)
    assert (receipt.status_code, receipt.json()["receipt_id"]) == (200, receipt_id)
    refused = client.get("/api/v1/orders", headers=scoped)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "permission_denied",
            "message": "this integration token is limited to the scopes tracking:write; "
            "GET /api/v1/orders needs the scope orders:read: ask an administrator for a token "
            "that includes it",
            "details": {"token_scopes": ["tracking:write"], "needed_scope": "orders:read"},
        }
    }
    tokens = client.get("/api/v1/tokens", headers=scoped)
    assert tokens.status_code == 403
    assert tokens.json()["error"]["message"] == (
        "this integration token is limited to the scopes tracking:write; GET /api/v1/tokens "
        "is open only to tokens without scopes: ask an administrator for a token that "
        "includes it"
    )
    # A token without scopes (as every token made before scopes existed) keeps its full role.
    full = client.post("/api/v1/tokens", json={"name": "ERP", "user_id": 2}, headers=admin)
    assert full.json()["scopes"] is None
    unscoped = {"Authorization": f"Bearer {full.json()['token']}"}
    assert client.get("/api/v1/orders", headers=unscoped).json()["total"] == 4
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert [(t["name"], t["scopes"]) for t in listed] == [
        ("ERP", None),
        ("快递柜回传", ["tracking:write"]),
    ]
    with sessions() as s:
        data = s.execute(
            select(AuditEvent.data).where(AuditEvent.action == "created").order_by(AuditEvent.id)
        ).scalars()
        assert list(data) == [
            {"name": "快递柜回传", "user": "admin", "scopes": ["tracking:write"]},
            {"name": "ERP", "user": "other"},
        ]


def test_an_unknown_or_empty_scope_list_is_refused_and_nothing_is_created(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(client, "admin")
    unknown = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["tracking:write", "admin"]}, headers=admin
    )
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (
        422,
        "unknown scopes ['admin']; known: orders:read, shipments:write, tracking:write",
    )
    empty = client.post("/api/v1/tokens", json={"name": "x", "scopes": []}, headers=admin)
    assert empty.status_code == 422
    with sessions() as s:
        assert s.execute(select(ApiToken.kind)).scalars().all() == ["session"]
