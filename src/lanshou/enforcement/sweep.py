"""The deadline sweep: look only at rows whose ``next_check_at`` has come, through an index.

Each batch is its own transaction, so a sweep killed half-way leaves whole batches done and a
restart finishes the rest; evaluation is idempotent, so nothing is booked twice. On PostgreSQL
``FOR UPDATE SKIP LOCKED`` lets several workers sweep side by side.

The sweep and the inbox drainer never judge one shipment at once (both would read it without
the other's verdict and book it twice): a batch judges a shipment only if it can take the fold
lock of its waybill (:func:`~lanshou.enforcement.inbox.lock_waybills`) without waiting; one a
drainer holds stays due and is judged by the next batch or sweep, after the drainer's commit.
Never waiting on that lock while holding claimed deadline rows, which a drainer may be waiting
for, the sweep cannot deadlock with it. On SQLite the batch first becomes the one writer, so
it reads nothing a drainer commits before the batch ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.bulk import among, read
from lanshou.adapters.db.dialect import (
    LockKey,
    claim_skip_locked,
    hold_write_lock,
    try_advisory_xact_locks,
)
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Deadline, Shipment
from lanshou.enforcement.evaluation import EvaluationResult, evaluate_shipments
from lanshou.enforcement.fines import drain_fine_marks
from lanshou.enforcement.inbox import waybill_lock
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


def not_being_folded(session: Session, shipment_ids: list[int]) -> list[int]:
    """The shipments whose waybill's fold lock this transaction took (held to its end), in
    the given order; those a drainer holds now are left out (see the module)."""
    if not shipment_ids:
        return []
    conn = session.connection()
    waybills = read(
        session,
        select(Shipment.id, Shipment.waybill_no).where(among(conn, Shipment.id, shipment_ids)),
    )
    lock_of = {sid: waybill_lock(w) for sid, w in waybills if w}
    taken = try_advisory_xact_locks(session, LockKey.TRACKING_FOLD, sorted(set(lock_of.values())))
    return [i for i in shipment_ids if i not in lock_of or lock_of[i] in taken]


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
    # Fines a bulk run marked and did not re-allocate (killed before its end): before the due
    # shipments, whose own re-allocations would otherwise take the marks over one by one.
    result.evaluation.ledger_moves += drain_fine_marks(sessions, ctx.profile, now)
    seen: set[int] = set()
    while max_batches is None or result.batches < max_batches:
        with unit_of_work(sessions) as session:
            hold_write_lock(session, cast(Table, Deadline.__table__))
            due = [i for i in due_shipment_ids(session, now, batch) if i not in seen]
            if not due:
                break
            ids = not_being_folded(session, due)
            if ids:
                exemptions = approved_exemptions(session)
                result.evaluation.merge(
                    evaluate_shipments(session, ids, now, ctx, exemptions=exemptions)
                )
        if not ids:
            break  # every due shipment is being folded: the drainer judges, the next sweep too
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
    or exemption change), in batches of ``batch`` shipments per transaction; the fines of the
    shops whose violations moved are re-allocated once, at the end (see :mod:`.fines`)."""
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
                evaluate_shipments(
                    session,
                    ids,
                    now,
                    ctx,
                    exemptions=approved_exemptions(session),
                    defer_fines=True,
                )
            )
        last_id = ids[-1]
    total.ledger_moves += drain_fine_marks(sessions, ctx.profile, now)
    return total
