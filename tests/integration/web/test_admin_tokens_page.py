"""Administrators create integration tokens on a page; the token is shown once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import ApiToken
from tests.integration.web.world import csrf_of, login


def test_an_admin_creates_uses_and_revokes_a_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/admin/users").text)
    created = client.post(
        "/admin/tokens", data={"name": "ERP sync", "user_id": "1", "csrf_token": token}
    )
    assert created.status_code == 200
    plain = re.search(r'<code class="token-once" id="new-token">([^<]+)</code>', created.text)
    assert plain is not None
    assert "请立即复制：它不会再次显示。" in created.text
    again = client.get("/admin/users").text
    assert plain.group(1) not in again and "ERP sync" in again
    with sessions() as s:
        row = s.execute(select(ApiToken)).scalar_one()
    assert row.kind == "integration" and row.token_hash != plain.group(1)
    headers = {"Authorization": f"Bearer {plain.group(1)}"}
    assert client.get("/api/v1/orders", headers=headers).json()["total"] == 53  # as merchant
    client.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/orders", headers=headers).status_code == 401


def test_others_cannot_create_tokens_on_the_page(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "staff")
    token = csrf_of(client.get("/orders").text)
    response = client.post("/admin/tokens", data={"name": "x", "csrf_token": token})
    assert response.status_code == 403
    with sessions() as s:
        assert s.execute(select(ApiToken)).first() is None
