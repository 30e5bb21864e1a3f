"""Exemptions through the API: events by admins, reports by merchants, decisions by reviewers."""

from __future__ import annotations

from sqlalchemy import select

from lanshou.adapters.db.models import AuditEvent, Exemption
from tests.integration.web.world import bearer

WINDOW = {"starts_at": "2026-11-20T00:00:00+08:00", "ends_at": "2026-11-22T00:00:00+08:00"}


def test_admin_declares_an_event_others_may_not(client, sessions) -> None:  # type: ignore[no-untyped-def]
    body = {**WINDOW, "reason": "台风「海燕」", "provinces": ["浙江"], "carrier_codes": ["zto"]}
    denied = client.post("/api/v1/exemptions/events", json=body, headers=bearer(client, "merchant"))
    assert denied.status_code == 403
    created = client.post("/api/v1/exemptions/events", json=body, headers=bearer(client, "admin"))
    assert created.status_code == 201
    data = created.json()
    assert (data["kind"], data["status"], data["carrier_codes"]) == ("event", "approved", ["ZTO"])
    with sessions() as s:
        assert s.execute(select(Exemption.id)).scalars().all() == [data["id"]]
        actions = (
            s.execute(select(AuditEvent.action).where(AuditEvent.entity_type == "exemption"))
            .scalars()
            .all()
        )
    assert actions == ["declared"]


def test_report_waits_for_a_reviewer_and_is_scoped(client) -> None:  # type: ignore[no-untyped-def]
    other_shop = client.post(
        "/api/v1/exemptions/reports",
        json={**WINDOW, "reason": "停电", "shop_id": 2},
        headers=bearer(client, "merchant"),
    )
    assert other_shop.status_code == 404
    filed = client.post(
        "/api/v1/exemptions/reports",
        json={**WINDOW, "reason": "仓库停电", "shop_id": 1},
        headers=bearer(client, "merchant"),
    )
    assert filed.status_code == 201
    assert filed.json()["status"] == "pending"
    rid = filed.json()["id"]
    by_merchant = client.post(
        f"/api/v1/exemptions/{rid}/decision",
        json={"approve": True},
        headers=bearer(client, "merchant"),
    )
    assert by_merchant.status_code == 403
    approved = client.post(
        f"/api/v1/exemptions/{rid}/decision",
        json={"approve": True},
        headers=bearer(client, "reviewer"),
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    again = client.post(
        f"/api/v1/exemptions/{rid}/decision",
        json={"approve": False},
        headers=bearer(client, "reviewer"),
    )
    assert again.status_code == 409


def test_bad_window_is_refused_with_the_field(client) -> None:  # type: ignore[no-untyped-def]
    body = {"starts_at": WINDOW["ends_at"], "ends_at": WINDOW["starts_at"], "reason": "x"}
    r = client.post("/api/v1/exemptions/events", json=body, headers=bearer(client, "admin"))
    assert r.status_code == 422
    assert "ends_at" in r.text
