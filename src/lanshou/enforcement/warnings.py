"""Warnings before a deadline: each profile lead time (e.g. 6 h, 2 h) fires at most once.

If several lead times have already passed when a deadline is first seen (a late import, a
worker that was down), only the most urgent one is sent; the others are recorded as suppressed
so nobody gets a "6 hours left" message with one hour left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from lanshou.adapters.db.dialect import insert_ignoring_conflicts
from lanshou.adapters.db.models import Deadline, Warning_
from lanshou.domain.rules.profile import Profile

log = logging.getLogger("lanshou.warnings")


def lead_minutes(profile: Profile) -> list[int]:
    return [int(h * 60) for h in profile.warning_lead_hours]


def next_warning_at(
    deadline: datetime, profile: Profile, fired: set[int], now: datetime
) -> datetime | None:
    """The earliest warning still to come strictly after ``now``."""
    times = [deadline - timedelta(minutes=m) for m in lead_minutes(profile) if m not in fired]
    future = [t for t in times if t > now]
    return min(future) if future else None


class _DeadlineLike(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def due_at(self) -> datetime | None: ...


def due_warning_rows(
    dl: _DeadlineLike, profile: Profile, fired: dict[int, set[int]], now: datetime
) -> list[dict[str, object]]:
    """The warning rows whose time has come for a stored deadline (marked in ``fired``).

    Several due at once: only the most urgent is sent, the others are recorded as suppressed.
    """
    if dl.state != "pending" or dl.due_at is None or now >= dl.due_at or dl.id is None:
        return []
    done = fired.get(dl.id, set())
    due = [
        m
        for m in lead_minutes(profile)
        if m not in done and dl.due_at - timedelta(minutes=m) <= now
    ]
    if not due:
        return []
    urgent = min(due)
    fired.setdefault(dl.id, set()).update(due)
    log.info(
        "deadline %s (%s) due %s: %d-minute warning",
        dl.id,
        dl.rule_id,
        dl.due_at.isoformat(),
        urgent,
    )
    return [
        {"deadline_id": dl.id, "lead_minutes": m, "fired_at": now, "suppressed": m != urgent}
        for m in due
    ]


def insert_warnings(session: Session, rows: list[dict[str, object]]) -> int:
    """Store warning rows; return how many warnings were sent (one per deadline)."""
    if not rows:
        return 0
    # The unique (deadline, lead) pair makes a concurrent second firing a no-op.
    session.execute(insert_ignoring_conflicts(session, Warning_).values(rows))
    return sum(1 for r in rows if not r["suppressed"])


def fire_due_warnings(
    session: Session, dl: Deadline, profile: Profile, fired: dict[int, set[int]], now: datetime
) -> int:
    """Record the warnings whose time has come; return 1 if one was sent, else 0."""
    if dl.id is None and dl.state == "pending":
        session.flush([dl])  # a deadline seen for the first time needs its id for the record
    return insert_warnings(session, due_warning_rows(dl, profile, fired, now))
