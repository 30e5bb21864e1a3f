"""Tell the platform a parcel left (``/order/logisticsAdd``) and record its answer.

Parameters ``order_id``, ``company_code`` (a code of ``/order/logisticsCompanyList``) and
``logistics_code`` (the waybill) per zsmhub/doudian-sdk
``api/order_logisticsAdd/request/order_logisticsAdd_request.go``. Marking shipped in lanshou
does not wait for the platform: the parcel did leave, so the shipment stays marked whatever
the platform says, and its answer (accepted, or its code and message) is stored with the
shipment and shown where the seller marked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import (
    Carrier,
    Order,
    PlatformConnection,
    PlatformShipmentCall,
    Shipment,
)
from lanshou.adapters.platforms.douyin import DouyinError, Token
from lanshou.errors import LanshouError
from lanshou.platforms.carrier_codes import (
    company_code_for,
    fetch_company_list,
    store_company_list,
)
from lanshou.platforms.connections import DOUYIN, client_for, store_token
from lanshou.platforms.context import PlatformsContext

__all__ = ["LOGISTICS_ADD", "PlatformAnswer", "latest_answers", "tell_platform_shipped"]

LOGISTICS_ADD = "order.logisticsAdd"


@dataclass(frozen=True)
class PlatformAnswer:
    platform: str
    accepted: bool
    code: str
    message: str
    company_code: str | None
    called_at: datetime


def _answer(row: PlatformShipmentCall) -> PlatformAnswer:
    return PlatformAnswer(
        DOUYIN, row.accepted, row.code, row.message, row.company_code, row.called_at
    )


def tell_platform_shipped(
    session: Session, ctx: PlatformsContext, shipment_id: int, actor: str, now: datetime
) -> PlatformAnswer | None:
    """``None`` when the shop has no platform connection; otherwise the platform's answer,
    stored. Runs in the caller's transaction (a refreshed token is stored with it: the
    self-use app can always get a new one by its shop id should this transaction roll back)."""
    found = session.execute(
        select(Shipment, Order, PlatformConnection)
        .join(Order, Order.id == Shipment.order_id)
        .join(PlatformConnection, PlatformConnection.shop_id == Order.shop_id)
        .where(
            Shipment.id == shipment_id,
            PlatformConnection.platform == DOUYIN,
            PlatformConnection.state != "disconnected",
        )
    ).first()
    if found is None:
        return None
    shipment, order, conn = found
    if not shipment.waybill_no:
        return None

    def keep(token: Token) -> None:
        store_token(conn, ctx, token)

    company = company_code_for(session, DOUYIN, shipment.carrier_id)
    row = PlatformShipmentCall(
        connection_id=conn.id,
        shipment_id=shipment.id,
        method=LOGISTICS_ADD,
        order_external_id=order.external_id,
        logistics_code=shipment.waybill_no,
        called_at=now,
    )
    try:
        client = client_for(conn, ctx, keep)
        if company is None and shipment.carrier_id is not None:
            store_company_list(session, DOUYIN, fetch_company_list(client), now)
            company = company_code_for(session, DOUYIN, shipment.carrier_id)
        if company is None:
            carrier = session.get(Carrier, shipment.carrier_id) if shipment.carrier_id else None
            row.accepted, row.code = False, "no_company_code"
            row.message = (
                f"抖店 has no logistics company code for carrier "
                f"{carrier.code if carrier else 'unknown'}; tell the platform by hand"
            )
        else:
            client.call(
                "/order/logisticsAdd",
                {
                    "company_code": company,
                    "logistics_code": shipment.waybill_no,
                    "order_id": order.external_id,
                },
            )
            row.accepted, row.code, row.message = True, "10000", "success"
    except DouyinError as exc:
        row.accepted, row.code, row.message = False, str(exc.code), exc.describe()
        row.log_id = exc.log_id or None
    except LanshouError as exc:  # no token, or a secret sealed under another key
        row.accepted, row.code, row.message = False, "not_connected", exc.message
    row.company_code = company
    session.add(row)
    session.flush()
    audit.record(
        session,
        entity_type="shipment",
        entity_id=shipment.id,
        action="platform_shipped" if row.accepted else "platform_refused_shipping",
        actor=actor,
        at=now,
        data={
            "platform": DOUYIN,
            "order": order.external_id,
            "company_code": company,
            "waybill": shipment.waybill_no,
            "code": row.code,
            "message": row.message,
        },
    )
    return _answer(row)


def latest_answers(session: Session, shipment_ids: list[int]) -> dict[int, PlatformAnswer]:
    """The newest platform answer of each of these shipments (for the order page)."""
    rows = session.execute(
        select(PlatformShipmentCall)
        .where(
            PlatformShipmentCall.shipment_id.in_(shipment_ids),
            PlatformShipmentCall.method == LOGISTICS_ADD,
        )
        .order_by(PlatformShipmentCall.id)
    ).scalars()
    return {r.shipment_id: _answer(r) for r in rows}
