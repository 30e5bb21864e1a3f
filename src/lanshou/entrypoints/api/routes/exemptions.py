"""Exemptions: platform events declared by admins, force-majeure reports filed by merchants.

Creating or approving one recomputes every open shipment's deadlines after the request's
transaction has committed (a background task), so the answer does not wait for it.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, ConfigDict, Field

from lanshou.adapters.db.models import Exemption
from lanshou.bootstrap import Runtime
from lanshou.enforcement import (
    ExemptionRequest,
    decide_report,
    declare_event,
    list_exemptions,
    recompute_open,
    report_force_majeure,
)
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.params import DbId, Instant
from lanshou.identity import scope_for

router = APIRouter(
    tags=["exemptions"],
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
    },
)


class ExemptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: Instant = Field(description="ISO 8601 with offset")
    ends_at: Instant = Field(description="ISO 8601 with offset, after starts_at")
    reason: str = Field(min_length=1, max_length=2000)
    effect: str = Field("exempt", pattern="^(exempt|extend)$")
    provinces: list[str] = []
    carrier_codes: list[str] = []


class ReportCreate(ExemptionCreate):
    shop_id: DbId


class Decision(BaseModel):
    approve: bool


class ExemptionPublic(BaseModel):
    id: int
    kind: str
    shop_id: int | None
    status: str
    effect: str
    provinces: list[str]
    carrier_codes: list[str]
    starts_at: datetime
    ends_at: datetime
    reason: str


def _public(row: Exemption) -> ExemptionPublic:
    return ExemptionPublic(
        id=row.id,
        kind=row.kind,
        shop_id=row.shop_id,
        status=row.status,
        effect=row.effect,
        provinces=row.provinces,
        carrier_codes=row.carrier_codes,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
    )


def _request(body: ExemptionCreate) -> ExemptionRequest:
    return ExemptionRequest(
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        reason=body.reason,
        effect=body.effect,
        provinces=tuple(body.provinces),
        carrier_codes=tuple(body.carrier_codes),
    )


def _recompute(runtime: Runtime) -> None:
    recompute_open(runtime.sessions, runtime.clock.now(), runtime.settings)


@router.get("/exemptions", response_model=list[ExemptionPublic])
def exemptions(caller: CallerDep, db: DbDep) -> list[ExemptionPublic]:
    """Events everyone is subject to, and the reports of the caller's shops."""
    return [_public(r) for r in list_exemptions(db, scope_for(db, caller))]


@router.post(
    "/exemptions/events", response_model=ExemptionPublic, status_code=status.HTTP_201_CREATED
)
def declare(
    body: ExemptionCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep, tasks: BackgroundTasks
) -> ExemptionPublic:
    """Declare a platform event (admins): in force at once for the regions and carriers named."""
    row = declare_event(db, caller, _request(body), runtime.clock.now())
    tasks.add_task(_recompute, runtime)
    return _public(row)


@router.post(
    "/exemptions/reports", response_model=ExemptionPublic, status_code=status.HTTP_201_CREATED
)
def report(
    body: ReportCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ExemptionPublic:
    """File a force-majeure report (报备) for one of the caller's shops."""
    scope = scope_for(db, caller)
    return _public(
        report_force_majeure(db, caller, scope, body.shop_id, _request(body), runtime.clock.now())
    )


@router.post("/exemptions/{exemption_id}/decision", response_model=ExemptionPublic)
def decide(
    exemption_id: DbId,
    body: Decision,
    caller: CallerDep,
    db: DbDep,
    runtime: RuntimeDep,
    tasks: BackgroundTasks,
) -> ExemptionPublic:
    """Approve or reject a pending report (reviewers, admins)."""
    row = decide_report(db, caller, exemption_id, body.approve, runtime.clock.now())
    if row.status == "approved":
        tasks.add_task(_recompute, runtime)
    return _public(row)
