"""Warnings before a deadline: each profile lead time (e.g. 6 h, 2 h) fires at most once.

If several lead times have already passed when a deadline is first seen (a late import, a
worker that was down), only the most urgent one is sent; the others are recorded as suppressed
so nobody gets a "6 hours left" message with one hour left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

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


def fire_due_warnings(
    session: Session, dl: Deadline, profile: Profile, fired: dict[int, set[int]], now: datetime
) -> int:
    """Record the warnings whose time has come; return 1 if one was sent, else 0."""
    if dl.state != "pending" or dl.due_at is None or now >= dl.due_at:
        return 0
    done = fired.get(dl.id, set()) if dl.id is not None else set()
    due = [
        m
        for m in lead_minutes(profile)
        if m not in done and dl.due_at - timedelta(minutes=m) <= now
    ]
    if not due:
        return 0
    urgent = min(due)
    if dl.id is None:
        session.flush([dl])  # a deadline seen for the first time needs its id for the record
    rows = [
        {"deadline_id": dl.id, "lead_minutes": m, "fired_at": now, "suppressed": m != urgent}
        for m in due
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The unique (deadline, lead) pair makes a concurrent second firing a no-op.
    session.execute(insert(Warning_).values(rows).on_conflict_do_nothing())
    fired.setdefault(dl.id, set()).update(due)
    log.info(
        "deadline %s (%s) due %s: %d-minute warning",
        dl.id,
        dl.rule_id,
        dl.due_at.isoformat(),
        urgent,
    )
    return 1
