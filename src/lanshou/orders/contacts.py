"""Reading the contact log: who called whom about an order, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Communication, Order, User
from lanshou.errors import NotFound
from lanshou.identity import Scope, scoped_orders


@dataclass(frozen=True)
class ContactEntry:
    id: int
    shipment_id: int | None
    occurred_at: datetime  # when the contact happened
    recorded_at: datetime  # when it was logged
    counterpart_kind: str
    counterpart_name: str
    channel: str
    summary: str
    logged_by: str | None  # the user's display name; None for automatic entries


def contacts_for_order(session: Session, scope: Scope, order_id: int) -> list[ContactEntry]:
    """The order's contact log, newest first; NotFound if the order is outside the scope."""
    visible = session.execute(
        scoped_orders(scope).with_only_columns(Order.id).where(Order.id == order_id)
    ).scalar_one_or_none()
    if visible is None:
        raise NotFound(f"order {order_id} not found")
    rows = session.execute(
        select(Communication, User.display_name)
        .outerjoin(User, User.id == Communication.user_id)
        .where(Communication.order_id == order_id)
        .order_by(Communication.occurred_at.desc(), Communication.id.desc())
    ).all()
    return [
        ContactEntry(
            c.id,
            c.shipment_id,
            c.occurred_at,
            c.recorded_at,
            c.counterpart_kind,
            c.counterpart_name,
            c.channel,
            c.summary,
            name,
        )
        for c, name in rows
    ]
