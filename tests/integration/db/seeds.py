"""Rows the migration tests start from: one platform, shop and order (ids 1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Order, Platform, Shop


def one_order(s: Session, at: datetime) -> None:
    s.add(Platform(id=1, code="douyin", name="抖音", profile="douyin"))
    s.flush()
    s.add(Shop(id=1, platform_id=1, code="s1", name="店"))
    s.flush()
    # Core, naming only the columns every old revision has: the model has grown since
    # (e.g. the buyer's phone tail).
    s.execute(
        insert(Order).values(
            id=1,
            shop_id=1,
            external_id="o1",
            status="paid",
            paid_at=at,
            amount_fen=100,
            quantity=1,
            created_at=at,
            updated_at=at,
        )
    )
    s.flush()
