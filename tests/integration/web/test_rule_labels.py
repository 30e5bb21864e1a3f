"""A rule no code knows is named on every page, in both languages, and in the dossier's PDF,
from its profile alone (`label_zh` / `label_en`)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Shipment, Violation
from lanshou.bootstrap import Runtime
from tests.integration.appeals.conftest import client, world
from tests.integration.web.world import NOW, World, csrf_of, login, make_runtime
from tests.new_rule_profile import LABEL_EN, LABEL_ZH, NAME, RULE_ID, write_profile
from tests.pdf_tools import pdf_lines

__all__ = ["client", "world"]


@pytest.fixture
def runtime(sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Runtime:
    rules = write_profile(tmp_path / "rules")
    return make_runtime(sessions, var_dir=tmp_path / "var", rules_dir=rules)


@pytest.fixture
def violation_id(sessions: sessionmaker[Session], world: World) -> int:
    """A confirmed violation of order A000 under the new rule, detected a day before NOW."""
    with sessions() as s:
        order_id = world.order_ids["A000"]
        shipment = s.query(Shipment).filter_by(order_id=order_id).one()
        detected = NOW - timedelta(days=1)
        v = Violation(
            shipment_id=shipment.id,
            order_id=order_id,
            shop_id=world.shop_a,
            profile=NAME,
            rule_id=RULE_ID,
            started_at=detected - timedelta(hours=12),
            deadline=detected,
            state="confirmed",
            explanation=f"{LABEL_ZH} 12 h",
            detected_at=detected,
            updated_at=detected,
        )
        s.add(v)
        s.commit()
        return v.id


def _row(page: str, violation_id: int) -> str:
    return page.split(f'id="violation-{violation_id}"')[1].split("</tr>")[0]


def test_the_violations_list_names_the_rule_in_the_users_language(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    assert f">{LABEL_ZH}</td>" in _row(client.get("/violations").text, violation_id)
    token = csrf_of(client.get("/violations").text)
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/violations"})
    assert f">{LABEL_EN}</td>" in _row(client.get("/violations").text, violation_id)


def test_filing_reviewing_and_the_dossier_name_the_rule(
    client: TestClient, violation_id: int
) -> None:
    login(client, "merchant")
    form = client.get(f"/violations/{violation_id}/appeal").text
    assert f"<dd>{LABEL_ZH}</dd>" in form
    assert f"订单A000被判{LABEL_ZH}，申请撤销处罚。" in form  # the drafted statement
    response = client.post(
        f"/violations/{violation_id}/appeal",
        data={"csrf_token": csrf_of(form), "statement": "冷链车未到", "action": "submit"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    appeal_id = int(response.headers["location"].removeprefix("/appeals/"))
    assert f"<dd>{LABEL_ZH}</dd>" in client.get(f"/appeals/{appeal_id}").text
    dossier = zipfile.ZipFile(io.BytesIO(client.get(f"/appeals/{appeal_id}/dossier").content))
    lines = pdf_lines(dossier.read("summary.pdf"))
    assert f"规则 {LABEL_ZH}" in lines
    assert not [line for line in lines if RULE_ID in line]  # named, not coded
    login(client, "reviewer")
    queue = client.get("/review").text
    assert f">{LABEL_ZH}</td>" in queue  # the only case in the queue
    token = csrf_of(queue)
    client.post("/language", data={"locale": "en", "csrf_token": token, "next": "/review"})
    assert f">{LABEL_EN}</td>" in client.get("/review").text
