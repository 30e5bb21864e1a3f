"""Each shop's time zone and working calendar, from its platform's rule profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Platform, Shop
from lanshou.alerts.policy import AlertPolicy, release_at
from lanshou.domain.rules.calendar import WorkingCalendar
from lanshou.enforcement import RulesContext

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


@dataclass
class ShopZones:
    session: Session
    ctx: RulesContext | None
    _cache: dict[int, tuple[ZoneInfo, WorkingCalendar | None]] = field(default_factory=dict)

    def of(self, shop_id: int) -> tuple[ZoneInfo, WorkingCalendar | None]:
        if shop_id not in self._cache:
            name = self.session.execute(
                select(Platform.profile)
                .join(Shop, Shop.platform_id == Platform.id)
                .where(Shop.id == shop_id)
            ).scalar_one_or_none()
            if self.ctx is None or name is None:
                self._cache[shop_id] = (DEFAULT_TZ, None)
            else:
                profile = self.ctx.profile(name)
                self._cache[shop_id] = (profile.tz, self.ctx.calendar(profile))
        return self._cache[shop_id]

    def release(
        self, shop_id: int, at: datetime, policy: AlertPolicy, *, critical: bool
    ) -> datetime:
        tz, calendar = self.of(shop_id)
        return release_at(
            at, tz, policy, critical=critical, is_workday=calendar.is_workday if calendar else None
        )
