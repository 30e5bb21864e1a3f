"""Read models: an appeal with its history, assessment and ledger effect; appealable violations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, AppealEvent, Evidence, LedgerEntry, Violation
from lanshou.appeals.access import visible_appeal, visible_violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.evidence import list_evidence
from lanshou.appeals.facts import Gathered, case_facts, gather
from lanshou.appeals.filing import APPEALABLE_VIOLATION_STATES, appeal_window_closes_at
from lanshou.appeals.history import history
from lanshou.appeals.todo import appealable_violations, reconsiderable_appeals
from lanshou.domain.appeals.assessment import Assessment, assess
from lanshou.domain.appeals.limits import AppealLimits
from lanshou.domain.appeals.machine import AppealState, allowed_events
from lanshou.domain.appeals.statement import draft_statement as draft_text
from lanshou.domain.violations import ALL_VIOLATION_STATES
from lanshou.errors import InvalidInput
from lanshou.identity import Principal, Scope


@dataclass(frozen=True)
class LedgerEffect:
    entries: list[LedgerEntry]
    net_fen: dict[str, int]  # per kind, after reversals

    @property
    def total_fen(self) -> int:
        return sum(self.net_fen.values())


@dataclass(frozen=True)
class AppealView:
    appeal: Appeal
    violation: Violation
    limits: AppealLimits
    history: list[AppealEvent]
    evidence: list[Evidence]
    assessment: Assessment
    ledger: LedgerEffect
    allowed_actions: list[str]
    # The facts the assessment was made from: a page shows them without gathering them again
    # (order, shipment, tracking, contacts, re-evaluation, ledger: a dozen queries).
    gathered: Gathered


def ledger_effect(entries: list[LedgerEntry]) -> LedgerEffect:
    net: dict[str, int] = {}
    for e in entries:
        net[e.kind] = net.get(e.kind, 0) + e.amount_fen
    return LedgerEffect(entries, net)


def appeal_view(
    session: Session, actx: AppealsContext, caller: Principal, appeal_id: int, now: datetime
) -> AppealView:
    appeal = visible_appeal(session, caller, appeal_id)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    evidence = list_evidence(session, appeal.id)
    g = gather(session, actx, violation, now)
    merchant_files = sum(1 for e in evidence if e.kind != "system")
    return AppealView(
        appeal,
        violation,
        limits,
        history(session, appeal.id),
        evidence,
        assess(case_facts(g, actx, merchant_files)),
        ledger_effect(g.ledger),
        allowed_events(appeal.state, rounds_left=limits.rounds_left_after(appeal.round)),
        g,
    )


def draft_statement(
    session: Session,
    actx: AppealsContext,
    violation: Violation,
    evidence: list[Evidence],
    now: datetime,
) -> str:
    """A Chinese statement drafted from the facts, within the profile's character limit."""
    g = gather(session, actx, violation, now)
    files = [e for e in evidence if e.kind != "system"]
    facts = case_facts(g, actx, len(files))
    return draft_text(facts, len(files), actx.limits(violation).statement_max_chars)


def statement_draft_for(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    violation_id: int,
    now: datetime,
    appeal_id: int | None = None,
) -> str:
    violation = visible_violation(session, caller, violation_id)
    evidence: list[Evidence] = []
    if appeal_id is not None:
        appeal = visible_appeal(session, caller, appeal_id)
        evidence = list_evidence(session, appeal.id)
    return draft_statement(session, actx, violation, evidence, now)


@dataclass(frozen=True)
class ViolationRow:
    violation: Violation
    appeal_closes_at: datetime
    appealable: bool
    appeal_id: int | None
    appeal_state: str | None
    window_closed: bool  # the penalty stands, unappealed, and its window has passed


VIOLATION_STATES = ALL_VIOLATION_STATES
# The home page's counts link here: only what can still be appealed, or reconsidered.
VIOLATION_TODOS = ("appealable", "reconsider")


def list_violations(
    session: Session,
    actx: AppealsContext,
    scope: Scope,
    now: datetime,
    shop_id: int | None = None,
    state: str | None = None,
    limit: int = 200,
    todo: str | None = None,
) -> list[ViolationRow]:
    """Violations in scope, newest first, with whether (and until when) they can be appealed;
    ``todo`` keeps those the home page counts (see :mod:`lanshou.appeals.todo`)."""
    if state is not None and state not in VIOLATION_STATES:
        raise InvalidInput(f"unknown violation state {state!r}", field="state")
    if todo is not None and todo not in VIOLATION_TODOS:
        raise InvalidInput(f"unknown to-do filter {todo!r}", field="todo")
    query = select(Violation)
    if todo == "appealable":
        ids = [v.id for v, _ in appealable_violations(session, actx, scope, now, shop_id)]
        query = query.where(Violation.id.in_(ids or [-1]))
    elif todo == "reconsider":
        ids = [v.id for _, v, _ in reconsiderable_appeals(session, actx, scope, now, shop_id)]
        query = query.where(Violation.id.in_(ids or [-1]))
    if scope.shop_ids is not None:
        query = query.where(Violation.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    if shop_id is not None:
        query = query.where(Violation.shop_id == shop_id)
    if state is not None:
        query = query.where(Violation.state == state)
    rows = list(
        session.execute(
            query.order_by(Violation.detected_at.desc(), Violation.id.desc()).limit(limit)
        ).scalars()
    )
    latest: dict[int, Appeal] = {}
    if rows:
        for a in session.execute(
            select(Appeal).where(Appeal.violation_id.in_([v.id for v in rows])).order_by(Appeal.id)
        ).scalars():
            latest[a.violation_id] = a  # ordered by id: the newest wins
    out = []
    for v in rows:
        closes = appeal_window_closes_at(actx, v)
        last = latest.get(v.id)
        open_case = last is not None and last.state not in (
            AppealState.WITHDRAWN,
            AppealState.EXPIRED,
        )
        stands = v.state in APPEALABLE_VIOLATION_STATES and not open_case
        out.append(
            ViolationRow(
                v,
                closes,
                stands and now <= closes,
                last.id if last else None,
                last.state if last else None,
                stands and now > closes,
            )
        )
    return out
