"""Shared bits of the import tests: a clock, a rules context, carriers, counting rows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import Carrier
from lanshou.enforcement.rules_context import RulesContext

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CTX = RulesContext()


def add_carriers(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        s.add(
            Carrier(
                code="SF", name_zh="顺丰速运", name_en="SF Express", aliases=["顺丰", "shunfeng"]
            )
        )
        s.add(Carrier(code="ZTO", name_zh="中通快递", name_en="ZTO Express", aliases=["中通"]))
        s.commit()


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())
