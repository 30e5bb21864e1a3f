"""Alert channels (secrets write-only), the delivery log, and team tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from lanshou.adapters.notify import EgressPolicy
from lanshou.alerts import channels as svc
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.params import MAX_LEAD_MINUTES, DbId, Instant
from lanshou.identity import scope_for
from lanshou.identity import tasks as task_svc

router = APIRouter(
    tags=["alerts"],
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        404: {"model": ErrorPublic},
        409: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)


class SubscriptionIn(BaseModel):
    event_kind: str
    lead_minutes: int = Field(
        0, ge=0, le=MAX_LEAD_MINUTES, description="at_risk only; 0 = every lead time"
    )


class ChannelCreate(BaseModel):
    shop_id: DbId
    kind: str = Field(description="dingtalk | feishu | wecom | email | webhook")
    name: str
    config: dict[str, Any] = Field(
        default_factory=dict, description="url; or host, port, sender, recipients …"
    )
    secret: str | None = Field(None, description="write-only: never returned")
    subscriptions: list[SubscriptionIn] = Field(default_factory=list)


class ChannelPublic(BaseModel):
    id: int
    shop_id: int
    kind: str
    name: str
    config: dict[str, Any]
    has_secret: bool
    is_active: bool
    subscriptions: list[SubscriptionIn]


class DeliveryPublic(BaseModel):
    id: int
    shop_id: int
    channel: str
    channel_kind: str
    event_kind: str
    title: str
    state: str
    critical: bool
    attempts: int
    max_attempts: int
    created_at: datetime
    deferred_until: datetime | None
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


class TaskCreate(BaseModel):
    entity_type: str = Field(description="shipment | violation | appeal | complaint_task")
    entity_id: DbId
    assignee_id: DbId
    due_at: Instant | None = None
    note: str = ""


class TaskPublic(BaseModel):
    id: int
    shop_id: int
    entity_type: str
    entity_id: int
    order_id: int
    assignee_id: int
    due_at: datetime | None
    state: str
    overdue: bool
    note: str
    created_by: int
    created_at: datetime


def _channel(v: svc.ChannelView) -> ChannelPublic:
    return ChannelPublic(
        id=v.id,
        shop_id=v.shop_id,
        kind=v.kind,
        name=v.name,
        config=v.config,
        has_secret=v.has_secret,
        is_active=v.is_active,
        subscriptions=[
            SubscriptionIn(event_kind=k, lead_minutes=m) for k, m in sorted(v.subscriptions)
        ],
    )


@router.get("/alerts/channels", response_model=list[ChannelPublic])
def channels(
    caller: CallerDep, db: DbDep, shop: Annotated[DbId | None, Query()] = None
) -> list[ChannelPublic]:
    return [_channel(v) for v in svc.list_channels(db, scope_for(db, caller), shop)]


@router.post("/alerts/channels", response_model=ChannelPublic, status_code=status.HTTP_201_CREATED)
def create_channel(
    body: ChannelCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ChannelPublic:
    """Admins and shop owners; the secret is stored and never shown again."""
    now = runtime.clock.now()
    scope = scope_for(db, caller)
    row = svc.create_channel(
        db,
        caller,
        scope,
        shop_id=body.shop_id,
        kind=body.kind,
        name=body.name,
        config=body.config,
        secret=body.secret,
        now=now,
        egress=EgressPolicy.from_allow_list(runtime.settings.egress_allow),
    )
    svc.set_subscriptions(
        db, caller, scope, row.id, [(s.event_kind, s.lead_minutes) for s in body.subscriptions], now
    )
    [view] = [v for v in svc.list_channels(db, scope, row.shop_id) if v.id == row.id]
    return _channel(view)


@router.get("/alerts/deliveries", response_model=list[DeliveryPublic])
def deliveries(
    caller: CallerDep, db: DbDep, state: Annotated[str | None, Query()] = None
) -> list[DeliveryPublic]:
    return [
        DeliveryPublic(
            id=r.id,
            shop_id=r.shop_id,
            channel=r.channel_name,
            channel_kind=r.channel_kind,
            event_kind=r.event_kind,
            title=r.title,
            state=r.state,
            critical=r.critical,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            created_at=r.created_at,
            deferred_until=r.deferred_until,
            next_attempt_at=r.next_attempt_at,
            sent_at=r.sent_at,
            last_error=r.last_error,
        )
        for r in svc.list_deliveries(db, scope_for(db, caller), state=state)
    ]


def _task(v: task_svc.TaskView) -> TaskPublic:
    a = v.assignment
    return TaskPublic(
        id=a.id,
        shop_id=a.shop_id,
        entity_type=a.entity_type,
        entity_id=a.entity_id,
        order_id=v.entity.order_id,
        assignee_id=a.assignee_id,
        due_at=a.due_at,
        state=a.state,
        overdue=v.overdue,
        note=a.note,
        created_by=a.created_by,
        created_at=a.created_at,
    )


@router.get("/tasks", response_model=list[TaskPublic], tags=["tasks"])
def my_tasks(
    caller: CallerDep, db: DbDep, runtime: RuntimeDep, include_done: bool = False
) -> list[TaskPublic]:
    """What is assigned to the caller, overdue first."""
    return [
        _task(v)
        for v in task_svc.my_tasks(db, caller, runtime.clock.now(), include_done=include_done)
    ]


@router.post(
    "/tasks", response_model=TaskPublic, status_code=status.HTTP_201_CREATED, tags=["tasks"]
)
def assign(body: TaskCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep) -> TaskPublic:
    now = runtime.clock.now()
    row = task_svc.assign(
        db,
        caller,
        entity_type=body.entity_type,
        entity_id=body.entity_id,
        assignee_id=body.assignee_id,
        due_at=body.due_at,
        note=body.note,
        now=now,
    )
    ref = task_svc.resolve_entity(db, scope_for(db, caller), row.entity_type, row.entity_id)
    return _task(task_svc.TaskView(row, ref, "", "", row.due_at is not None and row.due_at < now))
