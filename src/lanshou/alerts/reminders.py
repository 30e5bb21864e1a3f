"""Pickup reminders to couriers: a text filled from the shipment, sent by SMS or copied into
WeChat by hand. Every reminder is written to the contact log; SMS also to the delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import Carrier, Courier, Deadline, Order, Outlet, Shipment, Shop
from lanshou.adapters.db.models.alerts import AlertDelivery
from lanshou.adapters.notify import DeliveryResult
from lanshou.analytics import log_contact
from lanshou.errors import InvalidInput, NotFound
from lanshou.i18n import translate
from lanshou.i18n.format import local_time
from lanshou.identity import Scope


@dataclass(frozen=True)
class Reminder:
    shipment_id: int
    shop_id: int
    order_external_id: str
    waybill_no: str | None
    carrier_name: str | None
    courier_name: str | None
    courier_phone: str | None
    outlet_name: str | None
    outlet_phone: str | None
    due_at: datetime | None
    shop_name: str
    shop_address: str
    text: str


def reminder_for(session: Session, scope: Scope, shipment_id: int, locale: str) -> Reminder:
    """The reminder for a shipment the caller may see (404 otherwise)."""
    row = session.execute(
        select(
            Shipment,
            Order.external_id,
            Order.shop_id,
            Shop,
            Carrier.name_in(locale),
            Courier.name,
            Courier.phone,
            Outlet.name,
            Outlet.phone,
        )
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(Courier, Courier.id == Shipment.courier_id)
        .outerjoin(Outlet, Outlet.id == Shipment.outlet_id)
        .where(Shipment.id == shipment_id)
    ).one_or_none()
    if row is None or (scope.shop_ids is not None and row[2] not in scope.shop_ids):
        raise NotFound(f"shipment {shipment_id} not found")
    sh, order_no, shop_id, shop, carrier, courier, courier_phone, outlet, outlet_phone = row
    due = session.execute(
        select(Deadline.due_at)
        .where(Deadline.shipment_id == sh.id, Deadline.state == "pending")
        .order_by(Deadline.due_at)
        .limit(1)
    ).scalar_one_or_none()
    address = " ".join(p for p in (shop.origin_province, shop.origin_city) if p) or "—"
    text = translate(
        locale,
        "Hello %(courier)s, this is %(shop)s. Please pick up the parcel for order %(order)s "
        "(waybill %(waybill)s) before %(due)s. Pickup address: %(address)s. Thank you!",
        courier=courier or translate(locale, "courier"),
        shop=shop.name,
        order=order_no,
        waybill=sh.waybill_no or "—",
        due=local_time(due) if due else "—",
        address=address,
    )
    return Reminder(
        sh.id,
        shop_id,
        order_no,
        sh.waybill_no,
        carrier,
        courier,
        courier_phone,
        outlet,
        outlet_phone,
        due,
        shop.name,
        address,
        text,
    )


def record_sms_reminder(
    session: Session,
    scope: Scope,
    reminder: Reminder,
    *,
    phone: str,
    user_id: int | None,
    result: DeliveryResult,
    sender_name: str,
    now: datetime,
) -> None:
    """Delivery log always; contact log only if the SMS went out."""
    session.add(
        AlertDelivery(
            shop_id=reminder.shop_id,
            outbox_id=None,
            channel_kind="sms",
            target=f"{sender_name}:{phone}"[:128],
            attempt=1,
            at=now,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
        )
    )
    if result.ok:
        log_contact(
            session,
            scope,
            shipment_id=reminder.shipment_id,
            user_id=user_id,
            counterpart_kind="courier",
            counterpart_name=reminder.courier_name or "",
            channel="sms",
            summary=reminder.text,
            now=now,
        )
    session.flush()


def record_copied_reminder(
    session: Session, scope: Scope, reminder: Reminder, *, user_id: int | None, now: datetime
) -> None:
    """The user sent the text by WeChat themselves: log it as a reminder."""
    log_contact(
        session,
        scope,
        shipment_id=reminder.shipment_id,
        user_id=user_id,
        counterpart_kind="courier",
        counterpart_name=reminder.courier_name or "",
        channel="reminder",
        summary=reminder.text,
        now=now,
    )


def check_phone(phone: str) -> str:
    digits = phone.strip().replace(" ", "").replace("-", "")
    if not digits.lstrip("+").isdigit() or not 5 <= len(digits) <= 20:
        raise InvalidInput("phone must be 5 to 20 digits", field="phone")
    return digits
