"""Shop ``a`` of the web world connected to the local fake 抖店 gateway, and pushes signed the
way the platform signs them (for the API tests of pushes, shipping and route callbacks)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.bootstrap import Runtime
from lanshou.platforms.connections import connect_douyin
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.secrets import SecretBox
from tests.douyin_gateway import FakeDouyinGateway
from tests.integration.platforms.conftest import APP_KEY, APP_SECRET, DOUYIN_SHOP, SECRET_KEY
from tests.integration.web.world import NOW

__all__ = ["_signed", "fake"]


@pytest.fixture
def fake(runtime: Runtime, sessions: sessionmaker[Session]) -> FakeDouyinGateway:
    """Shop ``a`` of the web world connected to a fake gateway running on the world's clock."""
    gateway = FakeDouyinGateway(APP_KEY, APP_SECRET, DOUYIN_SHOP, runtime.clock.now)
    runtime.platforms = PlatformsContext(  # type: ignore[misc]
        box=SecretBox(SECRET_KEY),
        transport=gateway.transport(),
        clock=runtime.clock.now,
        sleep=lambda _: None,
    )
    with unit_of_work(sessions) as session:
        connect_douyin(
            session,
            runtime.platforms,
            shop_code="a",
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            douyin_shop_id=DOUYIN_SHOP,
            gateway="https://openapi-fxg.jinritemai.com",
            now=NOW,
            actor="admin",
        )
    gateway.requests.clear()
    return gateway


def _signed(
    items: list[dict[str, object]], secret: str = APP_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(items, ensure_ascii=False).encode()
    # MD5(app_key + body + app_secret), computed here from the documented recipe
    sign = hashlib.md5(APP_KEY.encode() + body + secret.encode()).hexdigest()
    return body, {"event-sign": sign, "app-id": APP_KEY, "Content-Type": "application/json"}
