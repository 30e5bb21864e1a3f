"""Buyer complaints (投诉): file, decide, see the merchant task and report it done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from lanshou import appeals as svc
from lanshou.appeals import ComplaintView
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep, get_appeals
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_appeals import (
    ComplaintCreate,
    ComplaintDecision,
    ComplaintPublic,
    ComplaintTaskPublic,
    TaskDone,
)
from lanshou.entrypoints.params import DbId
from lanshou.identity import scope_for

router = APIRouter(
    tags=["complaints"],
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
ActxDep = Annotated[svc.AppealsContext, Depends(get_appeals)]


def _public(v: ComplaintView) -> ComplaintPublic:
    c, t = v.complaint, v.task
    return ComplaintPublic(
        id=c.id,
        order_id=c.order_id,
        shop_id=c.shop_id,
        state=c.state,
        reason=c.reason,
        created_at=c.created_at,
        task=ComplaintTaskPublic(
            kind=t.kind,
            state=t.state,
            due_at=t.due_at,
            escalated=t.escalated,
            escalated_at=t.escalated_at,
            completed_at=t.completed_at,
        )
        if t
        else None,
    )


@router.post("/complaints", response_model=ComplaintPublic, status_code=status.HTTP_201_CREATED)
def create(
    body: ComplaintCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ComplaintPublic:
    """A cs agent records a buyer's complaint about an order."""
    row = svc.file_complaint(db, caller, body.order_id, body.reason, runtime.clock.now())
    return _public(ComplaintView(row, None))


@router.get("/complaints", response_model=list[ComplaintPublic])
def complaints(
    caller: CallerDep,
    db: DbDep,
    shop: Annotated[DbId | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
) -> list[ComplaintPublic]:
    return [_public(v) for v in svc.list_complaints(db, scope_for(db, caller), shop, state)]


@router.get("/complaints/{complaint_id}", response_model=ComplaintPublic)
def complaint(complaint_id: DbId, caller: CallerDep, db: DbDep) -> ComplaintPublic:
    return _public(svc.get_complaint(db, caller, complaint_id))


@router.post("/complaints/{complaint_id}/decision", response_model=ComplaintPublic)
def decide(
    complaint_id: DbId,
    body: ComplaintDecision,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    actx: ActxDep,
) -> ComplaintPublic:
    """Uphold (a merchant task with a 2-working-day deadline) or dismiss."""
    return _public(
        svc.decide_complaint(
            db,
            actx.rules,
            caller,
            complaint_id,
            body.uphold,
            runtime.clock.now(),
            body.task_kind,
            body.comment,
        )
    )


@router.post("/complaints/{complaint_id}/task/done", response_model=ComplaintPublic)
def task_done(
    complaint_id: DbId, body: TaskDone, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ComplaintPublic:
    return _public(svc.complete_task(db, caller, complaint_id, body.note, runtime.clock.now()))
