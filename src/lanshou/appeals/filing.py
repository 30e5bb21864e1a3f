"""The merchant's side: file an appeal, submit it, ask for reconsideration, withdraw."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Appeal, Communication, Evidence, Violation
from lanshou.appeals.access import FILERS, require_role, visible_appeal, visible_violation
from lanshou.appeals.context import AppealsContext
from lanshou.appeals.history import compare_and_set, conflict, next_state, record_event
from lanshou.appeals.system_evidence import attach_system_evidence
from lanshou.domain.appeals.limits import AppealLimits, LimitExceeded, WindowClosed
from lanshou.domain.appeals.machine import AppealEvent as Event
from lanshou.domain.appeals.machine import AppealState as S
from lanshou.domain.roles import Role
from lanshou.domain.rules.calendar import from_us, to_us
from lanshou.domain.violations import IN_FORCE
from lanshou.errors import Conflict, InvalidInput
from lanshou.identity import Principal

APPEALABLE_VIOLATION_STATES = IN_FORCE  # an appeal asks to lift a penalty that stands
CHANNELS = ("online", "customer_service")
_CLOSED = (S.WITHDRAWN.value, S.EXPIRED.value)


def breached_at(violation: Violation) -> datetime:
    """When the platform recorded the breach: the instant its deadline passed.

    The appeal window counts from here, not from ``detected_at`` (when lanshou happened to
    evaluate it, which for a backfilled or late-arriving shipment may be days later)."""
    return violation.deadline


def appeal_window_closes_at(actx: AppealsContext, violation: Violation) -> datetime:
    return actx.limits(violation).appeal_closes_at(breached_at(violation))


def window_conflict(exc: WindowClosed) -> Conflict:
    return Conflict(
        str(exc), window=exc.window, window_days=exc.days, closed_at=exc.closed_at.isoformat()
    )


def limit_invalid(exc: LimitExceeded) -> InvalidInput:
    return InvalidInput(str(exc), field=exc.what, limit=exc.limit, actual=exc.actual)


def review_due(
    actx: AppealsContext, violation: Violation, limits: AppealLimits, submitted_at: datetime
) -> datetime:
    cal = actx.calendar(violation)
    due_us = cal.add_working_days(to_us(submitted_at), limits.review_sla_working_days)
    return from_us(due_us, submitted_at.tzinfo or cal.tz)


def _check_statement(limits: AppealLimits, statement: str) -> None:
    try:
        limits.check_statement(statement)
    except LimitExceeded as exc:
        raise limit_invalid(exc) from exc


def create_appeal(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    violation_id: int,
    channel: str,
    statement: str,
    now: datetime,
    contact_note: str | None = None,
) -> Appeal:
    """Open a draft appeal for a violation, inside the profile's appeal window."""
    require_role(caller, FILERS, "file appeals")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if caller.role is Role.CS_AGENT and channel != "customer_service":
        raise InvalidInput(
            "customer-service agents file on the customer_service channel", field="channel"
        )
    if caller.role.is_merchant and channel != "online":
        raise InvalidInput(
            "merchants file online; customer_service is for cs agents", field="channel"
        )
    violation = visible_violation(session, caller, violation_id, lock=True)
    limits = actx.limits(violation)
    _check_statement(limits, statement)
    if violation.state not in APPEALABLE_VIOLATION_STATES:
        raise Conflict(
            f"violation {violation.id} is {violation.state}; only open or confirmed "
            "violations can be appealed",
            state=violation.state,
        )
    existing = (
        session.execute(
            select(Appeal).where(Appeal.violation_id == violation.id, Appeal.state.not_in(_CLOSED))
        )
        .scalars()
        .first()
    )
    if existing is not None:
        raise Conflict(
            f"violation {violation.id} already has appeal {existing.id} "
            f"({existing.state}, round {existing.round}); no further round is allowed",
            appeal_id=existing.id,
            state=existing.state,
            round=existing.round,
        )
    try:
        limits.check_appeal_window(breached_at(violation), now)
    except WindowClosed as exc:
        raise window_conflict(exc) from exc
    appeal = Appeal(
        violation_id=violation.id,
        shop_id=violation.shop_id,
        round=1,
        state=S.DRAFT.value,
        channel=channel,
        venue=actx.venue,
        statement=statement,
        created_by=caller.user_id,
        created_at=now,
        due_at=limits.appeal_closes_at(breached_at(violation)),
        version=0,
    )
    session.add(appeal)
    session.flush()
    record_event(
        session,
        appeal,
        "create",
        None,
        caller,
        now,
        data={"violation_id": violation.id, "channel": channel, "venue": appeal.venue},
    )
    if channel == "customer_service":
        note = (contact_note or "").strip() or statement
        session.add(
            Communication(
                shop_id=violation.shop_id,
                order_id=violation.order_id,
                shipment_id=violation.shipment_id,
                violation_id=violation.id,
                appeal_id=appeal.id,
                user_id=caller.user_id,
                counterpart_kind="merchant",
                counterpart_name="",
                channel="phone",
                occurred_at=now,
                recorded_at=now,
                summary=note,
            )
        )
        session.flush()
    return appeal


def _merchant_files(session: Session, appeal: Appeal, round_no: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(Evidence)
        .where(
            Evidence.appeal_id == appeal.id, Evidence.round == round_no, Evidence.kind != "system"
        )
    ).scalar_one()


def submit_appeal(
    session: Session, actx: AppealsContext, caller: Principal, appeal_id: int, now: datetime
) -> Appeal:
    """Send a draft (or an answer to a request for information) to review."""
    require_role(caller, FILERS, "submit appeals")
    appeal = visible_appeal(session, caller, appeal_id)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    target = next_state(appeal, Event.SUBMIT, limits)
    if appeal.state == S.DRAFT.value:
        try:
            limits.check_appeal_window(breached_at(violation), now)
        except WindowClosed as exc:
            raise window_conflict(exc) from exc
    elif appeal.due_at is not None and now > appeal.due_at:
        raise Conflict(
            f"the time to answer the request for information closed at {appeal.due_at.isoformat()}",
            window="need_info",
            closed_at=appeal.due_at.isoformat(),
        )
    if not appeal.statement.strip() and not _merchant_files(session, appeal, appeal.round):
        raise InvalidInput("an appeal needs a statement or evidence", field="statement")
    before = appeal.state
    compare_and_set(
        session,
        appeal,
        limits,
        state=target,
        submitted_at=now,
        due_at=review_due(actx, violation, limits, now),
        claimed_by=None,
    )
    record_event(session, appeal, Event.SUBMIT.value, before, caller, now)
    attach_system_evidence(session, actx, appeal, violation, now)
    return appeal


def reconsider_appeal(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    appeal_id: int,
    statement: str,
    now: datetime,
) -> Appeal:
    """申诉复议: a new round after a rejection, with new evidence or a changed statement."""
    require_role(caller, FILERS, "ask for reconsideration")
    appeal = visible_appeal(session, caller, appeal_id)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    if appeal.state == S.REJECTED_FINAL.value or (
        appeal.state != S.REJECTED.value and appeal.round >= limits.max_rounds
    ):
        raise conflict(
            appeal,
            limits,
            f"no further round: at most {limits.max_rounds} rounds "
            "(the appeal and one reconsideration)",
            max_rounds=limits.max_rounds,
        )
    target = next_state(appeal, Event.RECONSIDER, limits)
    if appeal.decided_at is not None:
        try:
            limits.check_reconsideration_window(appeal.decided_at, now)
        except WindowClosed as exc:
            raise window_conflict(exc) from exc
    _check_statement(limits, statement)
    new_round = appeal.round + 1
    changed = bool(statement.strip()) and statement.strip() != appeal.statement.strip()
    if not changed and not _merchant_files(session, appeal, new_round):
        raise InvalidInput(
            "a reconsideration needs new evidence or a changed statement", field="statement"
        )
    before, old_statement = appeal.state, appeal.statement
    compare_and_set(
        session,
        appeal,
        limits,
        state=target,
        round=new_round,
        statement=statement if changed else appeal.statement,
        submitted_at=now,
        due_at=review_due(actx, violation, limits, now),
        claimed_by=None,
        decided_by=None,
        decided_at=None,
        reason_code=None,
        decision_comment=None,
    )
    record_event(
        session,
        appeal,
        Event.RECONSIDER.value,
        before,
        caller,
        now,
        data={"previous_statement": old_statement, "statement_changed": changed},
    )
    attach_system_evidence(session, actx, appeal, violation, now)
    return appeal


def withdraw_appeal(
    session: Session,
    actx: AppealsContext,
    caller: Principal,
    appeal_id: int,
    now: datetime,
    reason: str = "",
) -> Appeal:
    require_role(caller, FILERS, "withdraw appeals")
    appeal = visible_appeal(session, caller, appeal_id)
    violation = session.get_one(Violation, appeal.violation_id)
    limits = actx.limits(violation)
    target = next_state(appeal, Event.WITHDRAW, limits)
    before = appeal.state
    compare_and_set(session, appeal, limits, state=target, due_at=None)
    record_event(session, appeal, Event.WITHDRAW.value, before, caller, now, reason=reason)
    return appeal


def expire_overdue(session: Session, now: datetime) -> int:
    """The sweep: appeals whose window (draft, need_info, rejected) passed unused expire.

    Strictly after ``due_at``: filing, submitting and reconsidering accept the window's last
    instant, so a sweep at that instant must leave the case open."""
    waiting = (S.DRAFT.value, S.NEED_INFO.value, S.REJECTED.value)
    rows = list(
        session.execute(
            select(Appeal).where(Appeal.state.in_(waiting), Appeal.due_at < now).order_by(Appeal.id)
        ).scalars()
    )
    expired = 0
    for appeal in rows:
        before = appeal.state
        result = session.execute(
            update(Appeal)
            .where(Appeal.id == appeal.id, Appeal.version == appeal.version, Appeal.state == before)
            .values(state=S.EXPIRED.value, due_at=None, version=Appeal.version + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            session.refresh(appeal)
            record_event(
                session,
                appeal,
                Event.EXPIRE.value,
                before,
                None,
                now,
                reason="window passed unused",
            )
            expired += 1
    return expired
