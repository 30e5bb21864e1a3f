"""The deadline sweep: look only at rows whose ``next_check_at`` has come, through an index.

Each batch is its own transaction, so a sweep killed half-way leaves whole batches done and a
restart finishes the rest; evaluation is idempotent, so nothing is booked twice. On PostgreSQL
``FOR UPDATE SKIP LOCKED`` lets several workers sweep side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.dialect import claim_skip_locked
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Deadline
from lanshou.enforcement.evaluation import EvaluationResult, evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext, approved_exemptions
from lanshou.settings import Settings

BATCH = 500


@dataclass
class SweepResult:
    batches: int = 0
    evaluation: EvaluationResult = field(default_factory=EvaluationResult)
    appeals_expired: int = 0
    tasks_escalated: int = 0

    @property
    def changed(self) -> bool:
        e = self.evaluation
        return bool(
            e.violations_new
            or e.violations_changed
            or e.warnings_fired
            or e.ledger_moves
            or self.appeals_expired
            or self.tasks_escalated
        )

    def describe(self) -> str:
        e = self.evaluation
        return (
            f"{e.shipments} shipments checked, {e.violations_new} new violations, "
            f"{e.violations_changed} changed, {e.warnings_fired} warnings, "
            f"{e.ledger_moves} ledger moves, {self.appeals_expired} appeals expired, "
            f"{self.tasks_escalated} complaint tasks escalated"
        )


def due_shipment_ids(session: Session, now: datetime, limit: int) -> list[int]:
    q = claim_skip_locked(
        select(Deadline.shipment_id)
        .where(Deadline.next_check_at <= now)
        .order_by(Deadline.next_check_at)
        .limit(limit)
    )
    return list(dict.fromkeys(session.execute(q).scalars()))


def run_sweep(
    sessions: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    *,
    ctx: RulesContext | None = None,
    batch: int = BATCH,
    max_batches: int | None = None,
) -> SweepResult:
    ctx = ctx or RulesContext.from_settings(settings)
    result = SweepResult()
    seen: set[int] = set()
    while max_batches is None or result.batches < max_batches:
        with unit_of_work(sessions) as session:
            ids = [i for i in due_shipment_ids(session, now, batch) if i not in seen]
            if not ids:
                break
            exemptions = approved_exemptions(session)
            result.evaluation.merge(
                evaluate_shipments(session, ids, now, ctx, exemptions=exemptions)
            )
        seen.update(ids)
        result.batches += 1
    return result


def evaluate_all(
    sessions: sessionmaker[Session],
    now: datetime,
    settings: Settings,
    *,
    ctx: RulesContext | None = None,
    batch: int = 2000,
    only_open: bool = False,
) -> EvaluationResult:
    """Evaluate every shipment (after a bulk load) or every still-open one (after a calendar
    or exemption change), in batches of ``batch`` shipments per transaction."""
    from lanshou.adapters.db.models import Shipment

    ctx = ctx or RulesContext.from_settings(settings)
    total = EvaluationResult()
    last_id = 0
    while True:
        with unit_of_work(sessions) as session:
            q = select(Shipment.id).where(Shipment.id > last_id).order_by(Shipment.id).limit(batch)
            if only_open:
                q = q.where(Shipment.picked_up_at.is_(None))
            ids = list(session.execute(q).scalars())
            if not ids:
                break
            total.merge(
                evaluate_shipments(session, ids, now, ctx, exemptions=approved_exemptions(session))
            )
        last_id = ids[-1]
    return total
