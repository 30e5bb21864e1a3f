"""A tiny, explicit world for enforcement tests: one Douyin shop, orders built one by one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Carrier,
    Deadline,
    Order,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)

CST = timezone(timedelta(hours=8))
_Ts = TypeVarTuple("_Ts")


def t(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


def rows(sessions: sessionmaker[Session], statement: Select[*_Ts]) -> list[tuple[*_Ts]]:
    """Every row a read returns, as plain tuples (so whole tables compare with ==)."""
    with sessions() as s:
        return [tuple(r) for r in s.execute(statement)]


def deadline_rows(sessions: sessionmaker[Session], sid: int) -> list[tuple[Any, ...]]:
    """A shipment's deadlines as stored, by rule."""
    return rows(
        sessions,
        select(
            Deadline.rule_id,
            Deadline.started_at,
            Deadline.due_at,
            Deadline.satisfied_at,
            Deadline.state,
            Deadline.next_check_at,
            Deadline.evaluated_at,
        )
        .where(Deadline.shipment_id == sid)
        .order_by(Deadline.rule_id),
    )


@dataclass
class World:
    sessions: sessionmaker[Session]
    shop_id: int = 1

    def setup(self, profile: str = "douyin") -> World:
        with self.sessions() as s:
            s.add(Platform(id=1, code=profile, name=profile, profile=profile))
            s.add(Shop(id=1, platform_id=1, code="shop-1", name="一号店"))
            s.add(Shop(id=2, platform_id=1, code="shop-2", name="二号店"))
            s.add(Carrier(id=1, code="ZTO", name_zh="中通", name_en="ZTO", aliases=[]))
            s.commit()
        return self

    def order(
        self,
        ext: str,
        paid: datetime,
        *,
        price: str = "50.00",
        shipped: datetime | None = None,
        shop_id: int = 1,
        status: str = "paid",
        province: str = "浙江",
    ) -> int:
        fen = int(Decimal(price) * 100)
        with self.sessions() as s:
            o = Order(
                shop_id=shop_id,
                external_id=ext,
                status=status,
                paid_at=paid,
                amount_fen=fen,
                quantity=1,
                buyer_province=province,
                created_at=paid,
                updated_at=paid,
            )
            s.add(o)
            s.flush()
            sh = Shipment(
                order_id=o.id,
                key=ext,
                carrier_id=1 if shipped else None,
                waybill_no=f"75{ext}" if shipped else None,
                shipped_at=shipped,
                status="awaiting_pickup" if shipped else "created",
                amount_fen=fen,
                max_unit_price_fen=fen,
            )
            s.add(sh)
            s.commit()
            return sh.id

    def event(self, shipment_id: int, status: str, at: datetime) -> None:
        with self.sessions() as s:
            sh = s.get(Shipment, shipment_id)
            assert sh is not None
            key = hashlib.sha256(f"{shipment_id}{status}{at.isoformat()}".encode()).hexdigest()
            s.add(
                TrackingEvent(
                    shipment_id=shipment_id,
                    carrier_code="ZTO",
                    waybill_no=sh.waybill_no or "",
                    status=status,
                    event_time=at,
                    received_at=at,
                    source="test",
                    dedup_key=key,
                )
            )
            s.commit()

    def mark_shipped(self, shipment_id: int, at: datetime) -> None:
        with self.sessions() as s:
            sh = s.get(Shipment, shipment_id)
            assert sh is not None
            sh.shipped_at, sh.carrier_id, sh.waybill_no = at, 1, f"75{shipment_id:010d}"
            s.commit()
