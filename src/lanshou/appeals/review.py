"""The reviewer's side (or, in seller mode, the merchant recording the platform's decision).

Claims and decisions are compare-and-set UPDATEs: the database, not a read before the write,
decides which of two reviewers gets the case; the other gets a 409 with the current state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Appeal, AppealEvent, Evidence, Violation
from lanshou.appeals.access import FILERS, REVIEWERS, require_role, visible_appeal
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.history import compare_and_set, conflict, next_state, record_event
from lanshou.domain.appeals.machine import AppealEvent as Event
from lanshou.domain.appeals.machine import AppealState as S
from lanshou.domain.appeals.venue import Venue
from lanshou.domain.violations import ViolationState
from lanshou.enforcement import reverse_all
from lanshou.errors import Conflict, InvalidInput, PermissionDenied
from lanshou.identity import Principal

OUTCOMES = {"approved": Event.APPROVE, "rejected": Event.REJECT, "need_info": Event.REQUEST_INFO}
OTHER_REVIEWER_RULE = "reconsideration_by_other_reviewer"


def _claim(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    appeal: Appeal,
    violation: Violation,
    now: datetime,
) -> None:
    limits = actx.limits(violation)
    target = next_state(appeal, Event.CLAIM, limits)
    before = appeal.state
    compare_and_set(
        session,
        appeal,
        limits,
        (Appeal.claimed_by.is_(None), Appeal.state == before),
        state=target,
        claimed_by=caller.user_id,
    )
    record_event(session, appeal, Event.CLAIM.value, before, caller, now)


def _check_decider(caller: Principal, appeal: Appeal) -> None:
    if appeal.venue == Venue.EXTERNAL:
        require_role(caller, FILERS, "record the platform's decision")
    else:
        require_role(caller, REVIEWERS, "review appeals")


def for_another_reviewer(
    session: Session, actx: AppealsContext, caller: Principal, cases: list[tuple[Appeal, Violation]]
) -> set[int]:
    """The ids of the reconsiderations (复议) among ``cases`` that ``caller`` may not decide:
    they decided an earlier round and the profile wants a second look by someone else (the
    default). Cases the platform decides itself (external venue) are not among them."""
    candidates = {
        a.id
        for a, v in cases
        if a.round >= 2
        and a.venue != "external"
        and actx.limits(v).reconsideration_by_other_reviewer
    }
    if not candidates:
        return set()
    decided = session.execute(
        select(AppealEvent.appeal_id, AppealEvent.round)
        .join(Appeal, Appeal.id == AppealEvent.appeal_id)
        .where(
            AppealEvent.appeal_id.in_(sorted(candidates)),
            AppealEvent.round < Appeal.round,
            AppealEvent.user_id == caller.user_id,
            AppealEvent.event.in_(tuple(e.value for e in OUTCOMES.values())),
        )
    ).all()
    return {appeal_id for appeal_id, _round in decided}


def _check_second_look(
    session: Session, actx: AppealsContext, caller: Principal, appeal: Appeal
) -> None:
    violation = session.get_one(Violation, appeal.violation_id)
    if for_another_reviewer(session, actx, caller, [(appeal, violation)]):
        raise PermissionDenied(
            f"appeal {appeal.id} is a reconsideration: it must be decided by another reviewer "
            f"than {caller.username}, who decided an earlier round",
            rule=OTHER_REVIEWER_RULE,
            appeal_id=appeal.id,
            round=appeal.round,
        )


def claim_appeal(
    session: Session, actx: AppealsContext, caller: Principal, appeal_id: int, now: datetime
) -> Appeal:
    """Take a submitted case for review; a second reviewer gets a 409."""
    appeal = visible_appeal(session, caller, appeal_id)
    _check_decider(caller, appeal)
    _check_second_look(session, actx, caller, appeal)
    _claim(session, actx, caller, appeal, session.get_one(Violation, appeal.violation_id), now)
    return appeal


def decide_appeal(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    appeal_id: int,
    outcome: str,
    reason_code: str | None,
    comment: str,
    now: datetime,
    screenshot_evidence_id: int | None = None,
) -> Appeal:
    """Approve (reverses the ledger), reject (the last round closes the case) or ask for info."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    appeal = visible_appeal(session, caller, appeal_id)
    _check_decider(caller, appeal)
    _check_second_look(session, actx, caller, appeal)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    if outcome != "approved" and not (reason_code or "").strip():
        raise InvalidInput(
            "a rejection or a request for information needs a reason_code", field="reason_code"
        )
    if appeal.venue == Venue.EXTERNAL:
        shot = session.get(Evidence, screenshot_evidence_id) if screenshot_evidence_id else None
        if shot is None or shot.appeal_id != appeal.id or shot.kind != "image":
            raise InvalidInput(
                "recording the platform's decision needs a screenshot: upload "
                "it as evidence and pass screenshot_evidence_id",
                field="screenshot_evidence_id",
            )
    if appeal.state in (S.SUBMITTED.value, S.RECONSIDERATION.value):
        _claim(session, actx, caller, appeal, violation, now)
    if appeal.state == S.UNDER_REVIEW.value and appeal.claimed_by != caller.user_id:
        raise conflict(
            appeal, limits, "another reviewer has claimed this appeal", claimed_by=appeal.claimed_by
        )
    event = OUTCOMES[outcome]
    target = next_state(appeal, event, limits)
    before = appeal.state
    due = None
    if target == S.REJECTED.value:
        due = limits.reconsideration_closes_at(now)
    elif target == S.NEED_INFO.value:
        due = limits.appeal_closes_at(now)
    compare_and_set(
        session,
        appeal,
        limits,
        (Appeal.claimed_by == caller.user_id, Appeal.state == before),
        state=target,
        decided_by=caller.user_id,
        decided_at=now,
        reason_code=(reason_code or None),
        decision_comment=comment or None,
        due_at=due,
        claimed_by=None if target == S.NEED_INFO.value else caller.user_id,
    )
    data: dict[str, object] = {"outcome": outcome, "reason_code": reason_code}
    if screenshot_evidence_id:
        data["screenshot_evidence_id"] = screenshot_evidence_id
    record_event(session, appeal, event.value, before, caller, now, reason=comment, data=data)
    if target == S.APPROVED.value:
        _reverse(session, appeal, violation, caller, now)
    elif target == S.REJECTED_FINAL.value:
        audit.record(
            session,
            entity_type="appeal",
            entity_id=appeal.id,
            action="closed",
            actor=caller.username,
            at=now,
            reason="final rejection (复议驳回)",
        )
    return appeal


def _reverse(
    session: Session, appeal: Appeal, violation: Violation, caller: Principal, now: datetime
) -> None:
    """Approval: reversing ledger entries for every open entry, and the violation reversed."""
    if violation.state == ViolationState.REVERSED:
        raise Conflict(f"violation {violation.id} is already reversed", state=violation.state)
    moved = reverse_all(
        session,
        shop_id=violation.shop_id,
        violation_id=violation.id,
        at=now,
        memo=f"appeal {appeal.id} approved 申诉通过",
        actor=caller.username,
    )
    before = violation.state
    violation.state = ViolationState.REVERSED
    violation.updated_at = now
    session.flush()
    audit.record(
        session,
        entity_type="violation",
        entity_id=violation.id,
        action="reversed",
        actor=caller.username,
        at=now,
        reason=f"appeal {appeal.id} approved",
        data={
            "from": before,
            "to": ViolationState.REVERSED.value,
            "appeal_id": appeal.id,
            "reversed_kinds": moved,
        },
    )
