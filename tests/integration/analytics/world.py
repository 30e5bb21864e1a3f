"""A hand-built pickup history with known latencies, evaluated by the real rules service.

Shop A (甜橙小铺, 浙江) ships 15 parcels with SF (outlet 1) picked up after 1‥10, 13, 15, 20,
26 and 30 hours; shop B (山野茶舍, 浙江) ships 5 with ZTO (outlet 2) after 12.5, 25, 40, 2 and 3
hours. All are marked shipped on 2026-11-02 from 09:00 (Beijing), one an hour after being paid,
so no shipping deadline is missed; the douyin pickup window is 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Carrier, Order, Outlet, Platform, Shipment, Shop
from lanshou.enforcement.sweep import evaluate_all
from lanshou.entrypoints.cli import analytics
from lanshou.settings import get_settings, load_settings

CST = timezone(timedelta(hours=8))
SHIPPED = datetime(2026, 11, 2, 9, tzinfo=CST)
NOW = datetime(2026, 11, 6, 12, tzinfo=CST)
SF_HOURS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 15, 20, 26, 30]
ZTO_HOURS = [12.5, 25, 40, 2, 3]
SETTINGS = load_settings(env="test", secret_key="x" * 32)


def build(sessions: sessionmaker[Session], evaluate: bool = True) -> None:
    with sessions() as s:
        s.add(Platform(id=1, code="douyin", name="抖店", profile="douyin"))
        s.flush()
        s.add_all(
            [
                Shop(id=1, platform_id=1, code="a", name="甜橙小铺", origin_province="浙江"),
                Shop(id=2, platform_id=1, code="b", name="山野茶舍", origin_province="浙江"),
            ]
        )
        s.add_all(
            [
                Carrier(id=1, code="SF", name_zh="顺丰", name_en="SF", aliases=[]),
                Carrier(id=2, code="ZTO", name_zh="中通", name_en="ZTO", aliases=[]),
            ]
        )
        s.flush()
        s.add_all(
            [
                Outlet(id=1, carrier_id=1, code="sf-hz", name="顺丰杭州网点", province="浙江"),
                Outlet(id=2, carrier_id=2, code="zto-hz", name="中通杭州网点", province="浙江"),
            ]
        )
        s.flush()
        n = 0
        for shop, carrier, hours in ((1, 1, SF_HOURS), (2, 2, ZTO_HOURS)):
            for h in hours:
                shipped = SHIPPED + timedelta(minutes=7 * n)
                order = Order(
                    shop_id=shop,
                    external_id=f"O{n:03d}",
                    status="shipped",
                    paid_at=shipped - timedelta(hours=1),
                    amount_fen=5000,
                    quantity=1,
                    created_at=shipped,
                    updated_at=shipped,
                )
                s.add(order)
                s.flush()
                s.add(
                    Shipment(
                        order_id=order.id,
                        key=f"O{n:03d}",
                        carrier_id=carrier,
                        outlet_id=carrier,
                        waybill_no=f"W{n:03d}",
                        shipped_at=shipped,
                        picked_up_at=shipped + timedelta(hours=h),
                        status="picked_up",
                        amount_fen=5000,
                    )
                )
                n += 1
        s.commit()
    if evaluate:
        evaluate_all(sessions, NOW, SETTINGS)


@contextmanager
def analytics_cli(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """The analytics commands (`report`, `scorecard`, `whatif`) as the CLI runs them, pointed at
    ``engine`` through the environment; the cached settings are dropped before and after."""
    monkeypatch.setenv("LANSHOU_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LANSHOU_ENV", "test")
    monkeypatch.setenv("LANSHOU_SECRET_KEY", "x" * 32)
    get_settings.cache_clear()
    app = typer.Typer()
    analytics.register(app)
    try:
        yield app
    finally:
        get_settings.cache_clear()
