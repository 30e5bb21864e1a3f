"""How many months of tracking events retention must keep: the evidence an appeal may need.

An appeal's evidence is its shipment's tracking events. Two bounds, both must hold:

- **By the rules** (static): an appeal may be filed for ``appeal.window_days`` after the
  violation is detected and reconsidered within ``reconsideration_window_days`` more, in the
  profiles the shops' platforms use; the longest such window ``W`` (days) fixes the least
  ``keep_months`` as ``ceil(W / 28)`` and never below 1. Keeping N months keeps the current
  month and the N before it, so the youngest dropped event is at least N whole months old, and
  N months are never shorter than 28·N days. 0 is never allowed (it would drop last month's
  events minutes after midnight on the 1st).
- **By the data** (dynamic): the events of every shipment whose violation is still appealable
  (state open or confirmed, detected within its profile's window) or has an appeal not yet
  final must all be kept; the oldest such event's month sets the least ``keep_months`` now.
  This covers what the static bound cannot see: events long before the violation (a delivery
  rule's deadline days after the pickup scan) and appeals held open by a slow review.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Platform, TrackingEvent, Violation
from lanshou.adapters.db.partitions import Month
from lanshou.domain.appeals.machine import FINAL_STATES
from lanshou.domain.violations import ViolationState
from lanshou.enforcement import RulesContext
from lanshou.errors import InvalidInput
from lanshou.i18n import N_

DAYS_IN_SHORTEST_MONTH = 28
APPEALABLE = (ViolationState.OPEN.value, ViolationState.CONFIRMED.value)


class RetentionRefused(InvalidInput):
    """``keep_months`` would drop events still needed; ``msgid`` and ``params`` say which, in
    the catalogue's words."""

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid % params, field="keep_months")
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class EvidenceFloor:
    window_days: int  # the longest appeal window of the profiles in use (W above)
    by_rules: int  # ceil(W / 28), at least 1
    # The oldest event a live case needs, the violation that needs it, and the months to keep.
    needed_since: datetime | None = None
    needed_by: int | None = None
    by_data: int = 0

    @property
    def months(self) -> int:
        return max(self.by_rules, self.by_data)


def _windows(session: Session, ctx: RulesContext) -> dict[str, int]:
    """Each profile in use (by a platform): its appeal window plus reconsideration, in days."""
    out = {}
    for name in session.execute(select(Platform.profile).distinct()).scalars():
        appeal = ctx.profile(name).appeal
        if appeal is not None:
            out[name] = appeal.window_days + (appeal.reconsideration_window_days or 0)
    return out


def evidence_floor(session: Session, ctx: RulesContext, now: datetime) -> EvidenceFloor:
    """The least ``keep_months`` by the rules and by the live cases, as of ``now``."""
    windows = _windows(session, ctx)
    longest = max(windows.values(), default=0)
    by_rules = max(1, math.ceil(longest / DAYS_IN_SHORTEST_MONTH))
    undecided = select(Appeal.violation_id).where(Appeal.state.not_in(sorted(FINAL_STATES)))
    appealable = [
        and_(Violation.profile == name, Violation.detected_at > now - timedelta(days=days))
        for name, days in windows.items()
    ]
    live = or_(
        Violation.id.in_(undecided),
        and_(Violation.state.in_(APPEALABLE), or_(false(), *appealable)),
    )
    oldest = session.execute(
        select(TrackingEvent.event_time, Violation.id)
        .join(Violation, Violation.shipment_id == TrackingEvent.shipment_id)
        .where(live)
        .order_by(TrackingEvent.event_time, Violation.id)
        .limit(1)
    ).first()
    if oldest is None:
        return EvidenceFloor(longest, by_rules)
    since, violation_id = oldest
    by_data = _months_between(Month.of(since), Month.of(now))
    return EvidenceFloor(longest, by_rules, since, violation_id, by_data)


def _months_between(old: Month, new: Month) -> int:
    return (new.year - old.year) * 12 + new.month - old.month


def check_keep_months(keep_months: int, floor: EvidenceFloor) -> None:
    """Refuse a ``keep_months`` that would drop what the floor keeps, saying why."""
    if keep_months >= floor.months:
        return
    if floor.by_data > floor.by_rules and floor.needed_since is not None:
        raise RetentionRefused(
            N_(
                "--keep-months %(keep)s would drop tracking events from %(month)s that "
                "violation %(violation)s still needs as appeal evidence; keep at least "
                "%(least)s months"
            ),
            keep=keep_months,
            month=str(Month.of(floor.needed_since)),
            violation=floor.needed_by,
            least=floor.months,
        )
    raise RetentionRefused(
        N_(
            "--keep-months %(keep)s is below the appeal evidence window: appeals may be filed "
            "and reconsidered up to %(days)s days after a violation; keep at least %(least)s "
            "months"
        ),
        keep=keep_months,
        days=floor.window_days,
        least=floor.months,
    )
