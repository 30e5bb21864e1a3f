"""Platform rules as data: profiles, working calendars, pure per-shipment evaluation."""

from lanshou.domain.rules.calendar import (
    CalendarOverrides,
    WorkingCalendar,
    load_calendar_overrides,
)
from lanshou.domain.rules.consequences import (
    FineCandidate,
    allocate_fines,
    allocate_points,
    compensation_for,
    round_money,
)
from lanshou.domain.rules.errors import CalendarError, ProfileError, RulesError
from lanshou.domain.rules.evaluate import RuleOutcome, ShipmentFacts, evaluate_shipment
from lanshou.domain.rules.exemptions import Exemption
from lanshou.domain.rules.loader import known_profiles, load_profile
from lanshou.domain.rules.profile import Profile

__all__ = [
    "CalendarError",
    "CalendarOverrides",
    "Exemption",
    "FineCandidate",
    "Profile",
    "ProfileError",
    "RuleOutcome",
    "RulesError",
    "ShipmentFacts",
    "WorkingCalendar",
    "allocate_fines",
    "allocate_points",
    "calendar_for",
    "compensation_for",
    "evaluate_shipment",
    "known_profiles",
    "load_calendar_overrides",
    "load_profile",
    "round_money",
]


def calendar_for(profile: Profile, overrides: CalendarOverrides | None = None) -> WorkingCalendar:
    """The working calendar a profile asks for, with optional operator overrides."""
    return WorkingCalendar(profile.tz, profile.calendar, overrides or CalendarOverrides())
