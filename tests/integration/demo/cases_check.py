"""What the demo's cases must look like after ``seed_demo_cases`` at ``now``: one appeal in each
state, buyer complaints open, dismissed and upheld (task open, done, overdue and escalated), the
approved appeal's money reversed, every instant at or before ``now``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.engine import session_factory, unit_of_work
from lanshou.adapters.db.models import (
    Appeal,
    AppealEvent,
    Complaint,
    ComplaintTask,
    LedgerEntry,
    Violation,
)
from lanshou.adapters.storage.local import LocalDirectoryStorage
from lanshou.appeals import AppealsContext
from lanshou.demo.cases import seed_demo_cases
from lanshou.enforcement.rules_context import RulesContext

APPEAL_STATES = Counter(
    {
        "expired": 1,
        "draft": 1,
        "submitted": 1,
        "under_review": 1,
        "rejected": 1,
        "reconsideration": 1,
        "approved": 1,
    }
)
COMPLAINTS = Counter(
    {("open", None): 1, ("dismissed", None): 1, ("upheld", "open"): 2, ("upheld", "done"): 1}
)


def seed_cases(engine: Engine, now: datetime, evidence_dir: Path) -> int:
    actx = AppealsContext(RulesContext(), LocalDirectoryStorage(evidence_dir))
    with unit_of_work(session_factory(engine)) as s:
        return seed_demo_cases(s, actx, now)


def assert_cases_at(engine: Engine, now: datetime) -> None:
    with Session(engine) as s:
        appeals = list(s.scalars(select(Appeal).order_by(Appeal.id)))
        assert Counter(a.state for a in appeals) == APPEAL_STATES
        rounds = {a.state: a.round for a in appeals}
        assert rounds["reconsideration"] == 2 and rounds["rejected"] == 1
        latest = s.scalar(select(func.max(AppealEvent.at)))
        assert latest is not None and latest <= now
        assert all(a.created_at <= now for a in appeals)
        [approved] = [a for a in appeals if a.state == "approved"]
        assert s.get_one(Violation, approved.violation_id).state == "reversed"
        money = s.scalar(
            select(func.sum(LedgerEntry.amount_fen)).where(
                LedgerEntry.violation_id == approved.violation_id
            )
        )
        assert money == 0  # the reversal cancels what was booked
        open_windows = [a for a in appeals if a.state in ("draft", "rejected")]
        assert all(a.due_at is not None and a.due_at > now for a in open_windows)
        rows = s.execute(
            select(Complaint.state, ComplaintTask.state, ComplaintTask.escalated)
            .outerjoin(ComplaintTask, ComplaintTask.complaint_id == Complaint.id)
            .order_by(Complaint.id)
        ).all()
        assert Counter((c, t) for c, t, _e in rows) == COMPLAINTS
        assert sorted(e for _c, t, e in rows if t == "open") == [False, True]  # one overdue
        assert s.scalar(select(func.max(Complaint.created_at))) <= now - timedelta(hours=5)
