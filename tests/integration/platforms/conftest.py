"""A shop connected to the local fake 抖店 gateway, on both database backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.enforcement.rules_context import RulesContext
from lanshou.platforms.connections import connect_douyin
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.secrets import SecretBox
from tests.douyin_gateway import FakeDouyinGateway

T0 = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
APP_KEY, APP_SECRET, DOUYIN_SHOP = "7301234567890", "s3cret-app-value", "880001"
SECRET_KEY = "tests-platform-secret-0123456789abcdef"
RULES = RulesContext()


@dataclass
class Clock:
    at: datetime = T0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Connected:
    clock: Clock
    gateway: FakeDouyinGateway
    ctx: PlatformsContext
    connection_id: int
    shop_id: int


def make_ctx(gateway: FakeDouyinGateway, clock: Clock, page_size: int = 100) -> PlatformsContext:
    return PlatformsContext(
        box=SecretBox(SECRET_KEY),
        transport=gateway.transport(),
        clock=clock,
        sleep=clock.slept.append,
        page_size=page_size,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(clock: Clock) -> FakeDouyinGateway:
    return FakeDouyinGateway(APP_KEY, APP_SECRET, DOUYIN_SHOP, clock)


@pytest.fixture
def connected(
    sessions: sessionmaker[Session], gateway: FakeDouyinGateway, clock: Clock
) -> Connected:
    ctx = make_ctx(gateway, clock)
    with unit_of_work(sessions) as session:
        conn = connect_douyin(
            session,
            ctx,
            shop_code="tianchen",
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            douyin_shop_id=DOUYIN_SHOP,
            gateway="https://openapi-fxg.jinritemai.com",
            now=clock.at,
            actor="admin",
        )
        ids = conn.id, conn.shop_id
    gateway.requests.clear()
    return Connected(clock, gateway, ctx, *ids)
