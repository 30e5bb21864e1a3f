"""抖店 as a second route source: register a shipment's route, receive what the platform pushes.

Registering (``/logistics/registerPackageRoute``) is one more kind of tracking subscription: a
shipment of a connected shop that gets a waybill is queued for the shop's ``douyin``
integration by :func:`lanshou.orders.queue_tracking_subscriptions`, and the worker's
subscription run hands those jobs to :class:`RouteRegistrar` (leases, back-off, failures and
the admin page are the subscription machinery's). The parameters, and which are required, are
the official Java SDK's (``com.doudian.open.api.logistics_registerPackageRoute.param``,
``@OpField(required = …)``; the same fields in zsmhub/doudian-sdk
``api/logistics_registerPackageRoute/request``):

- required: ``express`` (a ``/order/logisticsCompanyList`` code), ``track_no``,
  ``callback_url``, ``receiver`` (``contact{name, phone}`` required; ``address{province,
  city, town, street}`` each ``{name}`` required, ``code`` optional, and ``detail``
  required), ``cargo_list`` (items with ``total_weight`` and ``total_net_weight`` required;
  ``name``, ``quantity``, ``volume``, ``unit`` optional);
- optional: ``outer_order_id``, ``outer_sub_order_id``, ``sender``, ``extend``.

lanshou keeps no recipient name, phone or street (personal data it does not need), so the
receiver and the cargo are read from the platform's own ``/order/orderDetail`` at registration
time (``post_receiver``/``post_tel``/``post_addr``, or their ``encrypt_*`` forms, and
``sku_order_list``) and passed on without being stored or logged. Assumptions, since the
public material is silent: that the platform accepts its own (possibly encrypted) receiver
values back, and what the weights mean — lanshou knows no weight and sends 0 (no unit or
range is documented). The registration answers an empty ``data``.

Receiving: the callback URL carries the platform's shop id and lanshou's token
(:mod:`lanshou.feeds.douyin_route`); an ``event-sign`` header, if the platform sends one, must
be the message push's MD5(app_key + body + app_secret) (minibear2021/doudian
``doudian/core.py``) — whether route pushes carry it is not documented.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lanshou import audit
from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import Order, PlatformConnection, PlatformShipmentCall, Shipment
from lanshou.adapters.platforms.douyin import (
    AccessTokenExpired,
    DouyinClient,
    DouyinError,
    GatewayUnreachable,
    TrafficLimited,
    event_sign,
)
from lanshou.errors import LanshouError, NotFound
from lanshou.feeds import IngestSummary, Job, Outcome, OutcomeKind, douyin_route
from lanshou.feeds import ingest_douyin_route as _ingest
from lanshou.platforms.carrier_codes import (
    carrier_codes,
    company_code_for,
    fetch_company_list,
    store_company_list,
)
from lanshou.platforms.connections import DOUYIN, client_for, token_saver
from lanshou.platforms.context import PlatformsContext
from lanshou.platforms.push import PushRefused
from lanshou.platforms.sync import fetch_detail

__all__ = [
    "REGISTER_PATH",
    "REGISTER_ROUTE",
    "CannotRegister",
    "RouteRegistrar",
    "callback_url",
    "receive_route",
    "route_params",
]

REGISTER_PATH = "/logistics/registerPackageRoute"
REGISTER_ROUTE = "logistics.registerPackageRoute"
ACTOR = "tracking-subscriptions"
ADDRESS_PARTS = ("province", "city", "town", "street")


class CannotRegister(ValueError):
    """The order detail lacks something the registration requires; names the field."""


def callback_url(base: str, secret: str, shop_id: str, waybill: str) -> str:
    """The integration's callback with the shop and the token for this waybill."""
    token = douyin_route.callback_token(secret, shop_id, waybill)
    return f"{base}{'&' if '?' in base else '?'}shop={shop_id}&token={token}"


def _either(detail: dict[str, Any], name: str) -> str:
    """The plain value, or the platform's encrypted one (what an order detail gives today)."""
    return str(detail.get(name) or detail.get(f"encrypt_{name}") or "").strip()


def _receiver(detail: dict[str, Any]) -> dict[str, Any]:
    addr = detail.get("post_addr")
    if not isinstance(addr, dict):
        raise CannotRegister("post_addr: the order detail has no address")
    address: dict[str, Any] = {}
    for part in ADDRESS_PARTS:
        region = addr.get(part)
        name = str(region.get("name") or "").strip() if isinstance(region, dict) else ""
        if not name:
            raise CannotRegister(f"post_addr.{part}.name: required by the registration")
        code = str(region.get("id") or "").strip() if isinstance(region, dict) else ""
        address[part] = {"name": name, **({"code": code} if code else {})}
    address["detail"] = _either(addr, "detail")
    contact = {"name": _either(detail, "post_receiver"), "phone": _either(detail, "post_tel")}
    for key, value in (*contact.items(), ("detail", address["detail"])):
        if not value:
            raise CannotRegister(f"{key}: required by the registration, missing in the order")
    return {"address": address, "contact": contact}


def _cargo(detail: dict[str, Any]) -> list[dict[str, Any]]:
    items = [i for i in detail.get("sku_order_list") or [] if isinstance(i, dict)]
    cargo = [
        {
            "name": str(i.get("product_name") or "")[:128],
            "quantity": int(i.get("item_num") or 1),
            "total_net_weight": 0,
            "total_weight": 0,
        }
        for i in items
    ]
    if not cargo:
        raise CannotRegister("sku_order_list: the order has no goods to list")
    return cargo


def route_params(
    detail: dict[str, Any], *, express: str, waybill: str, order_id: str, callback: str
) -> dict[str, Any]:
    """The registration's ``param_json`` object (keys are sorted when it is signed)."""
    return {
        "callback_url": callback,
        "cargo_list": _cargo(detail),
        "express": express,
        "outer_order_id": order_id,
        "receiver": _receiver(detail),
        "track_no": waybill,
    }


def _outcome(exc: DouyinError) -> Outcome:
    """Throttling slows the run down, no answer or a token that stayed refused is retried,
    any other refusal is the platform's word on this registration: a person must act."""
    if isinstance(exc, TrafficLimited):
        return Outcome(OutcomeKind.THROTTLED, str(exc.code), exc.describe())
    if isinstance(exc, GatewayUnreachable | AccessTokenExpired):
        return Outcome(OutcomeKind.RETRY, str(exc.code), exc.describe())
    return Outcome(OutcomeKind.REFUSED, str(exc.code), exc.describe())


@dataclass(frozen=True)
class _Plan:
    connection_id: int
    shipment_id: int
    carrier_id: int | None
    order_id: str
    shop_id: str
    company: str | None
    client: DouyinClient


class RouteRegistrar:
    """The subscription run's sender for ``douyin`` jobs. Each job reads what it needs in a
    short transaction, calls the gateway with none open, and records the answer."""

    def __init__(self, sessions: sessionmaker[Session], ctx: PlatformsContext) -> None:
        self.sessions = sessions
        self.ctx = ctx

    def __call__(self, job: Job) -> Outcome:
        try:
            plan = self._plan(job)
        except LanshouError as exc:  # no connection, no token, a secret under another key
            return Outcome(OutcomeKind.REFUSED, "not_connected", exc.message)
        assert job.waybill is not None  # the run sends only jobs with a waybill
        company = plan.company
        try:
            company = self._company(plan)
            outcome = self._register(job, plan, company)
        except DouyinError as exc:
            outcome = _outcome(exc)
        except CannotRegister as exc:
            outcome = Outcome(OutcomeKind.REFUSED, "lanshou", str(exc))
        self._record(job, plan, company, outcome)
        return outcome

    def _plan(self, job: Job) -> _Plan:
        with unit_of_work(self.sessions) as session:
            found = session.execute(
                select(Shipment, Order, PlatformConnection)
                .join(Order, Order.id == Shipment.order_id)
                .join(PlatformConnection, PlatformConnection.shop_id == Order.shop_id)
                .where(
                    Shipment.id == job.shipment_id,
                    PlatformConnection.platform == DOUYIN,
                    PlatformConnection.state != "disconnected",
                )
            ).first()
            if found is None:
                raise NotFound("the shop of this shipment is no longer connected to 抖店")
            shipment, order, conn = found
            return _Plan(
                connection_id=conn.id,
                shipment_id=shipment.id,
                carrier_id=shipment.carrier_id,
                order_id=order.external_id,
                shop_id=conn.external_shop_id,
                company=company_code_for(session, DOUYIN, shipment.carrier_id),
                client=client_for(conn, self.ctx, token_saver(self.sessions, self.ctx, conn.id)),
            )

    def _company(self, plan: _Plan) -> str | None:
        """The platform's code for the carrier; the list is fetched once if it lacks it."""
        if plan.company is not None or plan.carrier_id is None:
            return plan.company
        companies = fetch_company_list(plan.client)
        with unit_of_work(self.sessions) as session:
            store_company_list(session, DOUYIN, companies, self.ctx.clock())
            return company_code_for(session, DOUYIN, plan.carrier_id)

    def _register(self, job: Job, plan: _Plan, company: str | None) -> Outcome:
        assert job.waybill is not None
        if company is None:
            return Outcome(
                OutcomeKind.REFUSED,
                "no_company_code",
                f"抖店 has no logistics company code for carrier {job.waybill.aggregator_code}",
            )
        if not job.account.callback_url:
            return Outcome(OutcomeKind.REFUSED, "lanshou", "the integration has no callback URL")
        detail = fetch_detail(plan.client, plan.order_id)
        url = callback_url(
            job.account.callback_url, job.account.secret, plan.shop_id, job.waybill.number
        )
        params = route_params(
            detail,
            express=company,
            waybill=job.waybill.number,
            order_id=plan.order_id,
            callback=url,
        )
        plan.client.call(REGISTER_PATH, params)
        return Outcome(OutcomeKind.SUBSCRIBED, "10000", "success")

    def _record(self, job: Job, plan: _Plan, company: str | None, outcome: Outcome) -> None:
        """The platform's answer with the shipment (as for logisticsAdd), audited."""
        assert job.waybill is not None
        now = self.ctx.clock()
        accepted = outcome.kind is OutcomeKind.SUBSCRIBED
        with unit_of_work(self.sessions) as session:
            session.add(
                PlatformShipmentCall(
                    connection_id=plan.connection_id,
                    shipment_id=plan.shipment_id,
                    method=REGISTER_ROUTE,
                    order_external_id=plan.order_id,
                    company_code=company,
                    logistics_code=job.waybill.number,
                    accepted=accepted,
                    code=outcome.code[:32],
                    message=outcome.message,
                    called_at=now,
                )
            )
            audit.record(
                session,
                entity_type="shipment",
                entity_id=plan.shipment_id,
                action="platform_route_registered" if accepted else "platform_route_refused",
                actor=ACTOR,
                at=now,
                data={
                    "platform": DOUYIN,
                    "order": plan.order_id,
                    "waybill": job.waybill.number,
                    "code": outcome.code,
                    "message": outcome.message,
                },
            )


def receive_route(
    session: Session,
    ctx: PlatformsContext,
    body: bytes,
    *,
    shop_id: str,
    token: str,
    signature: str | None,
    now: datetime,
) -> IngestSummary:
    """One route push: the shop must be connected (:class:`NotFound`), an ``event-sign`` if
    given must match its app (:class:`PushRefused`), the body must read
    (``MalformedFeed``) and the URL's token must be the one registered
    (``SignatureInvalid``); only then are its scans accepted into the inbox."""
    conn = session.execute(
        select(PlatformConnection)
        .where(
            PlatformConnection.platform == DOUYIN,
            PlatformConnection.external_shop_id == shop_id,
        )
        .order_by(PlatformConnection.id)
        .limit(1)
    ).scalar_one_or_none()
    if conn is None or not shop_id:
        raise NotFound(f"no shop connected to 抖店 has the shop id {shop_id!r}")
    if signature is not None:
        expected = event_sign(conn.app_key, body, ctx.box.open(conn.app_secret_enc))
        if not hmac.compare_digest(expected, signature.strip().lower()):
            raise PushRefused("event-sign does not match the shop's 抖店 app")
    return _ingest(
        session,
        body,
        shop_id=shop_id,
        token=token,
        app_key=conn.app_key,
        now=now,
        platform_codes=carrier_codes(session, DOUYIN),
    )
