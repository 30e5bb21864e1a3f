"""Every change of an appeal: one ``appeal_events`` row (queryable history) and one audit record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Appeal, AppealEvent
from lanshou.domain.appeals.limits import AppealLimits
from lanshou.domain.appeals.machine import AppealEvent as Event
from lanshou.domain.appeals.machine import TransitionNotAllowed, allowed_events, apply
from lanshou.errors import Conflict
from lanshou.identity import Principal


def record_event(
    session: Session,
    appeal: Appeal,
    event: str,
    from_state: str | None,
    actor: Principal | None,
    now: datetime,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AppealEvent:
    row = AppealEvent(
        appeal_id=appeal.id,
        round=appeal.round,
        event=event,
        from_state=from_state,
        to_state=appeal.state,
        actor=actor.username if actor else "system",
        user_id=actor.user_id if actor else None,
        at=now,
        reason=reason,
        data=data or {},
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity_type="appeal",
        entity_id=appeal.id,
        action=event,
        actor=row.actor,
        at=now,
        reason=reason,
        data={"from": from_state, "to": appeal.state, "round": appeal.round, **(data or {})},
    )
    return row


def history(session: Session, appeal_id: int) -> list[AppealEvent]:
    return list(
        session.execute(
            select(AppealEvent).where(AppealEvent.appeal_id == appeal_id).order_by(AppealEvent.id)
        ).scalars()
    )


def conflict(appeal: Appeal, limits: AppealLimits, message: str, **extra: object) -> Conflict:
    rounds_left = limits.rounds_left_after(appeal.round)
    return Conflict(
        message,
        state=appeal.state,
        allowed_actions=allowed_events(appeal.state, rounds_left=rounds_left),
        **extra,
    )


def next_state(appeal: Appeal, event: Event, limits: AppealLimits) -> str:
    """The state ``event`` leads to, or a 409 naming the current state and the allowed actions."""
    rounds_left = limits.rounds_left_after(appeal.round)
    try:
        return apply(appeal.state, event, rounds_left=rounds_left).value
    except TransitionNotAllowed as exc:
        raise conflict(
            appeal,
            limits,
            f"cannot {event.value} an appeal that is {appeal.state}",
            event=event.value,
        ) from exc


def compare_and_set(
    session: Session,
    appeal: Appeal,
    limits: AppealLimits,
    extra_where: tuple[Any, ...] = (),
    **values: Any,
) -> None:
    """Write the new values only if nobody changed the row since we read it (version check).

    The database decides: the UPDATE's WHERE holds the version we read (and any claim
    condition), so of two concurrent writers exactly one matches a row; the other gets a 409
    with the state as it is now.
    """
    result = session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.version == appeal.version, *extra_where)
        .values(version=Appeal.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.expire(appeal)
        session.refresh(appeal)
        raise conflict(
            appeal, limits, "the appeal was changed by someone else", claimed_by=appeal.claimed_by
        )
    session.refresh(appeal)
