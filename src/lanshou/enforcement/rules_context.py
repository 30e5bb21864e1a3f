"""Profiles, calendars and exemptions as the database-backed paths need them.

Profiles and calendars are loaded once per process (they are data files); exemptions come from
the database on every evaluation because admins change them at any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Exemption as ExemptionRow
from lanshou.domain.rules.calendar import (
    CalendarOverrides,
    WorkingCalendar,
    load_calendar_overrides,
)
from lanshou.domain.rules.exemptions import Exemption
from lanshou.domain.rules.loader import load_profile
from lanshou.domain.rules.profile import Profile
from lanshou.settings import Settings


@dataclass
class RulesContext:
    rules_dirs: tuple[Path, ...] = ()
    calendar_overrides: CalendarOverrides = field(default_factory=CalendarOverrides)
    _profiles: dict[str, Profile] = field(default_factory=dict, repr=False)
    _calendars: dict[str, WorkingCalendar] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RulesContext:
        overrides = (
            load_calendar_overrides(settings.calendar_file)
            if settings.calendar_file
            else CalendarOverrides()
        )
        dirs = (settings.rules_dir,) if settings.rules_dir else ()
        return cls(rules_dirs=dirs, calendar_overrides=overrides)

    def profile(self, name: str) -> Profile:
        if name not in self._profiles:
            self._profiles[name] = load_profile(name, self.rules_dirs)
        return self._profiles[name]

    def calendar(self, profile: Profile) -> WorkingCalendar:
        if profile.name not in self._calendars:
            self._calendars[profile.name] = WorkingCalendar(
                tz=profile.tz, kind=profile.calendar, overrides=self.calendar_overrides
            )
        return self._calendars[profile.name]


def exemption_from_row(row: ExemptionRow) -> Exemption:
    return Exemption(
        id=f"{row.kind}-{row.id}",
        kind="platform_event" if row.kind == "event" else "force_majeure",
        valid_from=row.starts_at,
        valid_to=row.ends_at,
        mode="extend" if row.effect == "extend" else "exempt",
        provinces=frozenset(row.provinces) or None,
        carriers=frozenset(row.carrier_codes) or None,
        shop_ids=frozenset({str(row.shop_id)}) if row.shop_id is not None else None,
        approved=row.status == "approved",
        reason=row.reason,
    )


def approved_exemptions(session: Session) -> list[Exemption]:
    """Every approved platform event and force-majeure report (a short list by nature)."""
    rows = session.execute(select(ExemptionRow).where(ExemptionRow.status == "approved")).scalars()
    return [exemption_from_row(r) for r in rows]
