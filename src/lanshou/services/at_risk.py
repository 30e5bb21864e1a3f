"""The at-risk board: pending deadlines by time left, with whom to call and what a miss costs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    Carrier,
    Communication,
    Courier,
    Deadline,
    Order,
    Outlet,
    Shipment,
    Shop,
)
from lanshou.domain.money import from_fen
from lanshou.domain.rules.consequences import compensation_for, unit_price
from lanshou.errors import InvalidInput, NotFound
from lanshou.services.orders import Scope
from lanshou.services.rules_context import RulesContext

if TYPE_CHECKING:
    from lanshou.services.analytics.survival import Prediction

CONTACT_CHANNELS = ("phone", "wechat", "sms", "in_person", "reminder")
COUNTERPARTS = ("courier", "outlet", "carrier_cs", "buyer", "platform_cs")


@dataclass(frozen=True)
class AtRiskItem:
    deadline_id: int
    shipment_id: int
    order_id: int
    order_external_id: str
    shop_name: str
    rule_id: str
    rule_label_zh: str
    rule_label_en: str
    due_at: datetime
    seconds_left: int
    carrier_name: str | None
    waybill_no: str | None
    outlet_name: str | None
    outlet_phone: str | None
    courier_name: str | None
    courier_phone: str | None
    compensation: Decimal
    fine: Decimal
    last_contact_at: datetime | None
    # P(miss | no pickup yet) for pickup deadlines (see services.analytics.survival), else None
    breach_probability: float | None = None

    @property
    def cost(self) -> Decimal:
        return self.compensation + self.fine

    @property
    def expected_cost(self) -> Decimal | None:
        """Probability × cost of a miss, to the fen."""
        if self.breach_probability is None:
            return None
        return (Decimal(str(round(self.breach_probability, 6))) * self.cost).quantize(
            Decimal("0.01"))


SORTS = ("due", "risk")


def at_risk(
    session: Session, scope: Scope, now: datetime, ctx: RulesContext, *,
    limit: int | None = 100, sort: str = "due",
) -> list[AtRiskItem]:
    """Pending deadlines of the scope's shops with the cost of missing each and the chance of
    missing it; soonest first, or (``sort="risk"``) highest probability × cost first."""
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {SORTS}", field="sort")
    q = (
        select(
            Deadline,
            Shipment,
            Order,
            Shop.name,
            Carrier.name_zh,
            Outlet.name,
            Outlet.phone,
            Courier.name,
            Courier.phone,
        )
        .join(Shipment, Shipment.id == Deadline.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(Outlet, Outlet.id == Shipment.outlet_id)
        .outerjoin(Courier, Courier.id == Shipment.courier_id)
        .where(Deadline.state == "pending")
        .order_by(Deadline.due_at, Deadline.id)
    )
    if limit is not None and sort == "due":
        q = q.limit(limit)
    if scope.shop_ids is not None:
        q = q.where(Deadline.shop_id.in_(sorted(scope.shop_ids) or [-1]))
    rows = session.execute(q).all()
    last_contacts = _last_contacts(session, [r[1].id for r in rows])
    items = []
    for dl, sh, order, shop, carrier, outlet, outlet_phone, courier, courier_phone in rows:
        rule = ctx.profile(dl.profile).rule(dl.rule_id)
        comp = Decimal(0)
        if rule.consequences.compensation is not None:
            unit = unit_price(
                from_fen(sh.amount_fen),
                order.quantity,
                from_fen(sh.max_unit_price_fen) if sh.max_unit_price_fen is not None else None,
            )
            base = (
                unit
                if rule.consequences.compensation.base == "unit_price"
                else from_fen(sh.amount_fen)
            )
            comp = compensation_for(rule.consequences.compensation, base)
        fine = rule.consequences.fine.amount if rule.consequences.fine else Decimal(0)
        assert dl.due_at is not None
        items.append(AtRiskItem(
            dl.id, sh.id, order.id, order.external_id, shop, dl.rule_id, rule.label_zh,
            rule.label_en, dl.due_at, int((dl.due_at - now).total_seconds()), carrier,
            sh.waybill_no, outlet, outlet_phone, courier, courier_phone, comp, fine,
            last_contacts.get(sh.id),
        ))  # fmt: skip
    probabilities = _probabilities(session, scope, now, rows)
    items = [replace(it, breach_probability=probabilities[it.deadline_id].probability)
             if it.deadline_id in probabilities else it for it in items]
    if sort == "risk":
        items.sort(key=lambda it: (-(it.expected_cost or Decimal(-1)), it.due_at, it.deadline_id))
        items = items[:limit] if limit is not None else items
    return items


def _probabilities(session: Session, scope: Scope, now: datetime,
                   rows: Sequence[Any]) -> dict[int, Prediction]:
    from lanshou.services.analytics.prediction import (
        PICKUP_RULE,
        OpenShipment,
        model_for,
        predict_many,
    )

    wanted = [OpenShipment(dl.id, sh.carrier_id, sh.outlet_id, sh.shipped_at, dl.due_at)
              for dl, sh, *_ in rows if dl.rule_id == PICKUP_RULE and dl.due_at is not None]
    if not wanted:
        return {}
    return predict_many(model_for(session, scope, now), wanted, now)


def _last_contacts(session: Session, shipment_ids: list[int]) -> dict[int, datetime]:
    if not shipment_ids:
        return {}
    from sqlalchemy import func

    rows = session.execute(
        select(Communication.shipment_id, func.max(Communication.occurred_at))
        .where(Communication.shipment_id.in_(shipment_ids))
        .group_by(Communication.shipment_id)
    )
    return {sid: at for sid, at in rows if sid is not None}


def log_contact(
    session: Session,
    scope: Scope,
    *,
    shipment_id: int,
    user_id: int | None,
    counterpart_kind: str,
    counterpart_name: str,
    channel: str,
    summary: str,
    occurred_at: datetime,
) -> Communication:
    """Add a contact-log entry for a shipment the user may see (404 otherwise)."""
    if channel not in CONTACT_CHANNELS:
        raise InvalidInput(
            f"unknown channel {channel!r}; use one of {CONTACT_CHANNELS}", field="channel"
        )
    if counterpart_kind not in COUNTERPARTS:
        raise InvalidInput(
            f"unknown counterpart {counterpart_kind!r}; use one of {COUNTERPARTS}",
            field="counterpart_kind",
        )
    summary = summary.strip()
    if not summary or len(summary) > 2000:
        raise InvalidInput("summary must be 1 to 2000 characters", field="summary")
    row = session.execute(
        select(Shipment.id, Order.id, Order.shop_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.id == shipment_id)
    ).one_or_none()
    if row is None or (scope.shop_ids is not None and row[2] not in scope.shop_ids):
        raise NotFound(f"shipment {shipment_id} not found")
    entry = Communication(
        shop_id=row[2],
        order_id=row[1],
        shipment_id=shipment_id,
        user_id=user_id,
        counterpart_kind=counterpart_kind,
        counterpart_name=counterpart_name.strip()[:128],
        channel=channel,
        occurred_at=occurred_at,
        summary=summary,
    )
    session.add(entry)
    session.flush()
    return entry
