"""``GET /violations``: what the caller's shops were penalised for, and what can be appealed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lanshou.adapters.db.models import Violation
from lanshou.appeals import list_violations, statement_draft_for
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_appeals import StatementDraft, ViolationPublic
from lanshou.entrypoints.params import DbId
from lanshou.identity import scope_for

router = APIRouter(tags=["appeals"], responses={401: {"model": ErrorPublic}})


@router.get(
    "/violations", response_model=list[ViolationPublic], responses={422: {"model": ErrorPublic}}
)
def violations(
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    shop: Annotated[DbId | None, Query(description="shop id")] = None,
    state: Annotated[str | None, Query(description="open, confirmed, exempt, reversed …")] = None,
) -> list[ViolationPublic]:
    """Violations newest first, with the appeal deadline and whether an appeal can be filed."""
    rows = list_violations(
        db,
        runtime.appeals,
        scope_for(db, caller),
        runtime.clock.now(),
        shop,
        state,
    )
    return [
        ViolationPublic(
            id=r.violation.id,
            shop_id=r.violation.shop_id,
            order_id=r.violation.order_id,
            shipment_id=r.violation.shipment_id,
            profile=r.violation.profile,
            rule_id=r.violation.rule_id,
            state=r.violation.state,
            deadline=r.violation.deadline,
            detected_at=r.violation.detected_at,
            explanation=r.violation.explanation,
            appeal_closes_at=r.appeal_closes_at,
            appealable=r.appealable,
            appeal_window_closed=r.window_closed,
            appeal_id=r.appeal_id,
            appeal_state=r.appeal_state,
        )
        for r in rows
    ]


@router.get(
    "/violations/{violation_id}/statement-draft",
    response_model=StatementDraft,
    responses={404: {"model": ErrorPublic}},
)
def statement_draft(
    violation_id: DbId,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    appeal_id: DbId | None = None,
) -> StatementDraft:
    """A Chinese statement drafted from the facts, within the platform's length limit."""
    actx = runtime.appeals
    text = statement_draft_for(db, actx, caller, violation_id, runtime.clock.now(), appeal_id)
    limit = actx.limits(db.get_one(Violation, violation_id)).statement_max_chars
    return StatementDraft(statement=text, max_chars=limit)
