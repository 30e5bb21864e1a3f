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


def test_an_admin_limits_a_token_to_scopes_on_the_page(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = client.get("/admin/users").text
    assert re.findall(
        r'name="scopes" value="([^"]+)"> <code>[^<]+</code> ([^<]+)</label>', page
    ) == [
        ("tracking:write", "上传轨迹事件并查看其回执"),
        ("shipments:write", "标记订单已发货（快递公司与运单号）"),
        ("orders:read", "查看订单及其包裹与时限"),
    ]
    token = csrf_of(page)
    created = client.post(
        "/admin/tokens",
        data={"name": "轨迹回传", "scopes": ["tracking:write"], "csrf_token": token},
    )
    assert created.status_code == 200
    plain = re.search(r'<code class="token-once" id="new-token">([^<]+)</code>', created.text)
    assert plain is not None
    full = client.post("/admin/tokens", data={"name": "ERP", "csrf_token": token})
    assert full.status_code == 200
    listed = client.get("/admin/users").text
    row = (
        r'<tr><td>([^<]+)</td><td class="mono">admin</td>\s*<td class="token-scope-list">(.*?)</td>'
    )
    assert re.findall(row, listed) == [
        ("ERP", "该用户的全部权限"),
        ("轨迹回传", "<code>tracking:write</code> "),
    ]
    with sessions() as s:
        scopes = {
            name: scopes for name, scopes in s.execute(select(ApiToken.name, ApiToken.scopes))
        }
    assert scopes == {"轨迹回传": "tracking:write", "ERP": None}
    refused = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {plain.group(1)}"})
    assert refused.status_code == 403
