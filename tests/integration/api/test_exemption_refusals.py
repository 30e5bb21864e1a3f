"""Exemptions refuse what they cannot honour: times without an offset or out of range, a shop that
does not exist, and a report decided by the person who filed it (four eyes). Refusals change
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import AuditEvent, Exemption
from tests.integration.web.world import bearer

WINDOW = {"starts_at": "2026-11-20T00:00:00+08:00", "ends_at": "2026-11-22T00:00:00+08:00"}
OWN_REPORT = "A force-majeure report is decided by someone other than the person who filed it."


def _stored(sessions: sessionmaker[Session]) -> list[tuple[str, int | None]]:
    with sessions() as s:
        rows = s.execute(select(Exemption.status, Exemption.decided_by).order_by(Exemption.id))
        return [(status, decided_by) for status, decided_by in rows]


def _audit(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.entity_type == "exemption")
            .order_by(AuditEvent.id)
        )
        return [(action, actor) for action, actor in rows]


def _invalid(field: str, msg: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "invalid_input",
            "message": "invalid request",
            "details": [{"loc": ["body", field], "msg": msg}],
        }
    }


@pytest.mark.parametrize("path", ["/api/v1/exemptions/reports", "/api/v1/exemptions/events"])
def test_a_time_without_offset_is_a_422_naming_the_field(
    client: TestClient, sessions: sessionmaker[Session], path: str
) -> None:
    body = {**WINDOW, "starts_at": "2026-11-20T00:00:00", "reason": "台风", "shop_id": 1}
    if path.endswith("events"):
        del body["shop_id"]
    response = client.post(path, json=body, headers=bearer(client, "admin"))
    assert response.status_code == 422
    assert response.json() == _invalid("starts_at", "Input should have timezone info")
    assert _stored(sessions) == []


@pytest.mark.parametrize("ends_at", ["9999-12-31T23:59:59-08:00", "2100-01-01T00:00:00Z"])
def test_a_time_past_the_range_is_a_422_naming_the_field(
    client: TestClient, sessions: sessionmaker[Session], ends_at: str
) -> None:
    body = {**WINDOW, "ends_at": ends_at, "reason": "台风"}
    response = client.post("/api/v1/exemptions/events", json=body, headers=bearer(client, "admin"))
    assert response.json() == _invalid(
        "ends_at", "Value error, must be from 2000-01-01 to 2100-01-01 (UTC)"
    )
    assert _stored(sessions) == []


def test_a_report_for_a_shop_that_does_not_exist_is_a_404(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    body = {**WINDOW, "reason": "仓库停电", "shop_id": 999}
    response = client.post(
        "/api/v1/exemptions/reports", json=body, headers=bearer(client, "reviewer")
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "shop 999 not found",
            "details": {"field": "shop_id"},
        }
    }
    assert _stored(sessions) == []


def test_who_files_a_report_may_not_decide_it(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    reviewer, admin = bearer(client, "reviewer"), bearer(client, "admin")
    filed = client.post(
        "/api/v1/exemptions/reports",
        json={**WINDOW, "reason": "暴雪封路", "shop_id": 2},
        headers=reviewer,
    )
    assert filed.status_code == 201
    rid = filed.json()["id"]
    alone = client.post(
        f"/api/v1/exemptions/{rid}/decision", json={"approve": True}, headers=reviewer
    )
    assert alone.status_code == 403
    assert alone.json() == {
        "error": {
            "code": "permission_denied",
            "message": OWN_REPORT,
            "details": {"rule": "four_eyes"},
        }
    }
    assert _stored(sessions) == [("pending", None)]
    assert _audit(sessions) == [("reported", "reviewer")]

    other = client.post(f"/api/v1/exemptions/{rid}/decision", json={"approve": True}, headers=admin)
    assert other.status_code == 200
    assert other.json()["status"] == "approved"
    assert _audit(sessions) == [("reported", "reviewer"), ("approved", "admin")]


def test_an_admin_who_files_needs_another_decider_too(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(client, "admin")
    rid = client.post(
        "/api/v1/exemptions/reports", json={**WINDOW, "reason": "停电", "shop_id": 1}, headers=admin
    ).json()["id"]
    alone = client.post(
        f"/api/v1/exemptions/{rid}/decision", json={"approve": False}, headers=admin
    )
    assert alone.status_code == 403
    rejected = client.post(
        f"/api/v1/exemptions/{rid}/decision",
        json={"approve": False},
        headers=bearer(client, "reviewer"),
    )
    assert rejected.json()["status"] == "rejected"
    assert _audit(sessions) == [("reported", "admin"), ("rejected", "reviewer")]
