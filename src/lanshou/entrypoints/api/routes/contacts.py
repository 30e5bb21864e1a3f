"""The contact log over JSON: read an order's calls and chats, log one for a shipment.

A contact carries when it happened (``occurred_at``, the caller's to say, by default now) and
when it was logged (``recorded_at``, the server's clock).
"""

from __future__ import annotations

from fastapi import APIRouter, status

from lanshou.analytics import log_contact
from lanshou.appeals import FILERS, require_role
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic
from lanshou.entrypoints.api.schemas_contacts import ContactCreate, ContactPublic
from lanshou.entrypoints.params import DbId
from lanshou.identity import scope_for
from lanshou.orders import contacts_for_order

router = APIRouter(tags=["contacts"])


@router.get(
    "/orders/{order_id}/contacts",
    response_model=list[ContactPublic],
    responses={404: {"model": ErrorPublic}},
)
def order_contacts(order_id: DbId, caller: CallerDep, db: DbDep) -> list[ContactPublic]:
    """The order's contact log, the latest contact first."""
    return [
        ContactPublic.model_validate(vars(c))
        for c in contacts_for_order(db, scope_for(db, caller), order_id)
    ]


@router.post(
    "/shipments/{shipment_id}/contacts",
    response_model=ContactPublic,
    status_code=status.HTTP_201_CREATED,
    responses={403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
)
def add_contact(
    shipment_id: DbId, body: ContactCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> ContactPublic:
    """Log a call, chat or visit about a shipment; ``occurred_at`` may not be in the future nor
    before the order was paid (422)."""
    require_role(caller, FILERS, "log contacts")
    entry = log_contact(
        db,
        scope_for(db, caller),
        shipment_id=shipment_id,
        user_id=caller.user_id,
        counterpart_kind=body.counterpart_kind,
        counterpart_name=body.counterpart_name,
        channel=body.channel,
        summary=body.summary,
        now=runtime.clock.now(),
        occurred_at=body.occurred_at,
    )
    return ContactPublic(
        id=entry.id,
        shipment_id=entry.shipment_id,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        counterpart_kind=entry.counterpart_kind,
        counterpart_name=entry.counterpart_name,
        channel=entry.channel,
        summary=entry.summary,
        logged_by=caller.display_name or caller.username,
    )
