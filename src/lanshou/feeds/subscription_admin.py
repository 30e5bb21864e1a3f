"""What administrators do with tracking subscriptions: pick each shop's aggregator, see the
subscriptions that need a person, send a failed one again. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from lanshou import audit
from lanshou.adapters.db.models import FeedIntegration, Order, Shipment, Shop
from lanshou.adapters.db.models.subscriptions import ShopTrackingFeed, TrackingSubscription
from lanshou.domain.roles import Role
from lanshou.errors import InvalidInput, NotFound, PermissionDenied
from lanshou.feeds.subscribe_contracts import phone_tail
from lanshou.feeds.subscription_rules import TROUBLE_STATES, SubState
from lanshou.identity import Principal


def _require_admin(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may configure tracking subscriptions")


def configure_shop_feed(
    session: Session,
    actor: Principal,
    *,
    shop_id: int,
    integration_id: int | None,
    sender_phone: str | None,
    now: datetime,
) -> ShopTrackingFeed | None:
    """Subscribe the shop's new waybills at ``integration_id`` (None: at no aggregator)."""
    _require_admin(actor)
    if session.get(Shop, shop_id) is None:
        raise NotFound("shop not found")
    row = session.get(ShopTrackingFeed, shop_id)
    if integration_id is None:
        if row is not None:
            session.delete(row)
            _audit(session, actor, shop_id, now, {"integration_id": None})
        return None
    integration = session.get(FeedIntegration, integration_id)
    if integration is None or not integration.is_active:
        raise InvalidInput("no active feed integration with this id", field="integration_id")
    phone = (sender_phone or "").strip() or None
    if phone is not None and (len(phone) > 32 or phone_tail(phone) is None):
        raise InvalidInput("the phone needs at least four digits", field="sender_phone")
    if row is None:
        row = ShopTrackingFeed(shop_id=shop_id, integration_id=integration_id, updated_at=now)
        session.add(row)
    row.integration_id, row.sender_phone, row.updated_at = integration_id, phone, now
    session.flush()
    # The phone itself is personal data: the audit says only whether one is set.
    data = {"integration_id": integration_id, "kind": integration.kind, "phone": bool(phone)}
    _audit(session, actor, shop_id, now, data)
    return row


def _audit(
    session: Session, actor: Principal, shop_id: int, now: datetime, data: dict[str, object]
) -> None:
    audit.record(
        session,
        entity_type="shop",
        entity_id=shop_id,
        action="tracking_feed_configured",
        actor=actor.username,
        at=now,
        data=data,
    )


def shop_feeds(session: Session) -> list[tuple[Shop, ShopTrackingFeed | None]]:
    """Every shop with its aggregator setting, by name."""
    query = (
        select(Shop, ShopTrackingFeed)
        .outerjoin(ShopTrackingFeed, ShopTrackingFeed.shop_id == Shop.id)
        .order_by(Shop.name, Shop.id)
    )
    return [(shop, feed) for shop, feed in session.execute(query).all()]


@dataclass(frozen=True)
class SubscriptionLine:
    id: int
    shop_name: str
    order_external_id: str
    waybill_no: str
    carrier_code: str | None
    integration_name: str
    state: str
    attempts: int
    resubscriptions: int
    next_attempt_at: datetime | None
    last_error: str | None
    stalled_since: datetime | None
    resubscribe_at: datetime | None


def subscription_counts(session: Session) -> dict[str, int]:
    """How many subscriptions are in each state."""
    query = select(TrackingSubscription.state, func.count()).group_by(TrackingSubscription.state)
    return {state: count for state, count in session.execute(query).all()}


def _lines(session: Session, where: ColumnElement[bool], limit: int) -> list[SubscriptionLine]:
    query = (
        select(TrackingSubscription, Shop.name, Order.external_id, FeedIntegration.name)
        .join(Shipment, Shipment.id == TrackingSubscription.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(FeedIntegration, FeedIntegration.id == TrackingSubscription.integration_id)
        .where(where)
        .order_by(TrackingSubscription.updated_at.desc(), TrackingSubscription.id.desc())
        .limit(limit)
    )
    return [
        SubscriptionLine(
            id=sub.id,
            shop_name=shop,
            order_external_id=external_id,
            waybill_no=sub.waybill_no,
            carrier_code=sub.aggregator_code or sub.carrier_code,
            integration_name=integration,
            state=sub.state,
            attempts=sub.attempts,
            resubscriptions=sub.resubscriptions,
            next_attempt_at=sub.next_attempt_at,
            last_error=sub.last_error,
            stalled_since=sub.stalled_since,
            resubscribe_at=sub.resubscribe_at,
        )
        for sub, shop, external_id, integration in session.execute(query).all()
    ]


def troubled_subscriptions(session: Session, limit: int = 200) -> list[SubscriptionLine]:
    """Waiting, stalled and failed subscriptions, the most recently changed first."""
    states = [s.value for s in TROUBLE_STATES]
    return _lines(session, TrackingSubscription.state.in_(states), limit)


def subscription_line(session: Session, subscription_id: int) -> SubscriptionLine:
    found = _lines(session, TrackingSubscription.id == subscription_id, 1)
    if not found:
        raise NotFound("subscription not found")
    return found[0]


def retry_subscription(
    session: Session, actor: Principal, subscription_id: int, now: datetime
) -> TrackingSubscription:
    """Send a failed (or stalled) subscription again now, with a fresh count of attempts."""
    _require_admin(actor)
    sub = session.get(TrackingSubscription, subscription_id)
    if sub is None:
        raise NotFound("subscription not found")
    if sub.state not in (SubState.FAILED, SubState.STALLED):
        raise InvalidInput("only failed or stalled subscriptions can be sent again", field="id")
    previous = sub.state
    sub.state, sub.attempts, sub.next_attempt_at, sub.updated_at = SubState.PENDING, 0, now, now
    audit.record(
        session,
        entity_type="tracking_subscription",
        entity_id=sub.id,
        action="subscription_retried",
        actor=actor.username,
        at=now,
        data={"waybill": sub.waybill_no, "from": previous},
    )
    session.flush()
    return sub
