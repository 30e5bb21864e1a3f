"""Order lists and order detail, always through a tenant scope.

Every query here starts from :func:`scoped_orders`, so a page or API endpoint cannot forget the
tenant boundary: merchants see the shops they are members of, platform roles see every shop.
An order outside the scope is reported as :class:`NotFound`, never as forbidden, so its existence
does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from lanshou.adapters.db.models import (
    Carrier,
    Courier,
    Deadline,
    Order,
    OrderItem,
    Outlet,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)
from lanshou.domain.tracking import STATUSES
from lanshou.errors import InvalidInput, NotFound
from lanshou.identity import Scope, scoped_orders

SHANGHAI = ZoneInfo("Asia/Shanghai")
PER_PAGE = 50


@dataclass(frozen=True)
class OrderFilters:
    shop_id: int | None = None
    status: str | None = None
    carrier_id: int | None = None
    paid_from: date | None = None  # inclusive, a calendar day in Asia/Shanghai
    paid_to: date | None = None  # inclusive

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput(f"unknown shipment status {self.status!r}", field="status")
        if self.paid_from and self.paid_to and self.paid_from > self.paid_to:
            raise InvalidInput("paid_from is after paid_to", field="paid_from")


def _shanghai_midnight(day: date) -> datetime | None:
    """The day's first instant in UTC; None at the ends of the calendar, where a bound on that
    side excludes nothing (0001-01-01 in Shanghai starts before year 1 in UTC)."""
    try:
        return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(UTC)
    except OverflowError:
        return None


def _filtered(scope: Scope, filters: OrderFilters) -> Select[Order]:
    query = scoped_orders(scope)
    if filters.shop_id is not None:
        query = query.where(Order.shop_id == filters.shop_id)
    if filters.status is not None or filters.carrier_id is not None:
        shipment = select(Shipment.id).where(Shipment.order_id == Order.id)
        if filters.status is not None:
            shipment = shipment.where(Shipment.status == filters.status)
        if filters.carrier_id is not None:
            shipment = shipment.where(Shipment.carrier_id == filters.carrier_id)
        query = query.where(shipment.exists())
    start = _shanghai_midnight(filters.paid_from) if filters.paid_from is not None else None
    if start is not None:
        query = query.where(Order.paid_at >= start)
    # 9999-12-31 has no next day: up to the last day of the calendar means no upper bound.
    if filters.paid_to is not None and filters.paid_to < date.max:
        end = _shanghai_midnight(filters.paid_to + timedelta(days=1))
        if end is not None:
            query = query.where(Order.paid_at < end)
    return query


@dataclass(frozen=True)
class ShipmentSummary:
    id: int
    carrier_code: str | None
    carrier_name_zh: str | None
    carrier_name_en: str | None
    waybill_no: str | None
    status: str


@dataclass(frozen=True)
class OrderRow:
    id: int
    external_id: str
    shop_id: int
    shop_name: str
    status: str
    paid_at: datetime
    amount_fen: int
    shipments: list[ShipmentSummary]
    next_due_at: datetime | None  # the earliest pending deadline of any shipment


@dataclass(frozen=True)
class OrderPage:
    rows: list[OrderRow]
    total: int
    page: int
    per_page: int
    more: bool = False  # counting stopped at ``total``: there are more matching orders

    @property
    def pages(self) -> int:
        """The last page, or with ``more`` the last one counted (at least the next one)."""
        counted = max(1, -(-self.total // self.per_page))
        if self.more:
            return max(counted, self.page + 1)
        return counted


def _summaries(session: Session, order_ids: list[int]) -> dict[int, list[ShipmentSummary]]:
    result: dict[int, list[ShipmentSummary]] = {oid: [] for oid in order_ids}
    rows = session.execute(
        select(Shipment, Carrier)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .where(Shipment.order_id.in_(order_ids))
        .order_by(Shipment.id)
    ).all()
    for shipment, carrier in rows:
        result[shipment.order_id].append(
            ShipmentSummary(
                shipment.id,
                carrier.code if carrier else None,
                carrier.name_zh if carrier else None,
                carrier.name_en if carrier else None,
                shipment.waybill_no,
                shipment.status,
            )
        )
    return result


def _next_due(session: Session, order_ids: list[int]) -> dict[int, datetime]:
    rows = session.execute(
        select(Shipment.order_id, func.min(Deadline.due_at))
        .join(Deadline, Deadline.shipment_id == Shipment.id)
        .where(Shipment.order_id.in_(order_ids), Deadline.state == "pending")
        .group_by(Shipment.order_id)
    ).all()
    return {order_id: due for order_id, due in rows if due is not None}


def list_orders(
    session: Session,
    scope: Scope,
    filters: OrderFilters,
    page: int = 1,
    per_page: int = PER_PAGE,
    count_cap: int | None = None,
) -> OrderPage:
    """One page of orders, newest payment first, with shipments and the next pending deadline.

    With ``count_cap`` the matching orders are counted up to that many only (``more`` says
    there are others): a shop with a million orders costs each page a bounded count, not a
    scan of every order. Without it the total is exact."""
    page = max(1, page)
    query = _filtered(scope, filters)
    counted = query if count_cap is None else query.limit(count_cap + 1)
    total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    more = count_cap is not None and total > count_cap
    if more and count_cap is not None:
        total = count_cap
    rows = session.execute(
        query.add_columns(Shop.name)
        .join(Shop, Shop.id == Order.shop_id)
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if more and 0 < len(rows) < per_page:  # the last page: now the total is known exactly
        more, total = False, (page - 1) * per_page + len(rows)
    ids = [order.id for order, _ in rows]
    shipments = _summaries(session, ids) if ids else {}
    due = _next_due(session, ids) if ids else {}
    return OrderPage(
        [
            OrderRow(
                o.id,
                o.external_id,
                o.shop_id,
                shop_name,
                o.status,
                o.paid_at,
                o.amount_fen,
                shipments.get(o.id, []),
                due.get(o.id),
            )
            for o, shop_name in rows
        ],
        total,
        page,
        per_page,
        more,
    )


def status_counts(session: Session, scope: Scope) -> dict[str, int]:
    """How many shipments of the scope's orders are in each status."""
    orders = scoped_orders(scope).with_only_columns(Order.id).subquery()
    rows = session.execute(
        select(Shipment.status, func.count())
        .where(Shipment.order_id.in_(select(orders.c.id)))
        .group_by(Shipment.status)
    ).all()
    return {status: count for status, count in rows}


@dataclass(frozen=True)
class NamedOption:
    id: int
    name: str
    name_en: str = ""


def filter_options(session: Session, scope: Scope) -> tuple[list[NamedOption], list[NamedOption]]:
    """The shops (within scope) and carriers a filter form may offer."""
    shops = select(Shop.id, Shop.name).order_by(Shop.name)
    if scope.shop_ids is not None:
        shops = shops.where(Shop.id.in_(sorted(scope.shop_ids) or [-1]))
    carriers = select(Carrier.id, Carrier.name_zh, Carrier.name_en).order_by(Carrier.code)
    return (
        [NamedOption(i, n) for i, n in session.execute(shops).all()],
        [NamedOption(i, zh, en) for i, zh, en in session.execute(carriers).all()],
    )


@dataclass(frozen=True)
class ShipmentDetail:
    shipment: Shipment
    carrier: Carrier | None
    outlet: Outlet | None
    courier: Courier | None
    events: list[TrackingEvent]  # newest first
    pending_deadlines: list[Deadline]


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    shop: Shop
    platform: Platform
    items: list[OrderItem]
    shipments: list[ShipmentDetail] = field(default_factory=list)


def get_order(session: Session, scope: Scope, order_id: int) -> OrderDetail:
    """An order with items, shipments and tracking; NotFound if missing or outside the scope."""
    order = session.execute(scoped_orders(scope).where(Order.id == order_id)).scalar_one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} not found")
    shop = session.get_one(Shop, order.shop_id)
    platform = session.get_one(Platform, shop.platform_id)
    items = list(
        session.execute(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        ).scalars()
    )
    outlet, courier = aliased(Outlet), aliased(Courier)
    rows = session.execute(
        select(Shipment, Carrier, outlet, courier)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(outlet, outlet.id == Shipment.outlet_id)
        .outerjoin(courier, courier.id == Shipment.courier_id)
        .where(Shipment.order_id == order.id)
        .order_by(Shipment.id)
    ).all()
    ids = [row[0].id for row in rows]
    events: dict[int, list[TrackingEvent]] = {i: [] for i in ids}
    deadlines: dict[int, list[Deadline]] = {i: [] for i in ids}
    if ids:
        for event in session.execute(
            select(TrackingEvent)
            .where(TrackingEvent.shipment_id.in_(ids))
            .order_by(TrackingEvent.event_time.desc(), TrackingEvent.id.desc())
        ).scalars():
            events[event.shipment_id or 0].append(event)
        for deadline in session.execute(
            select(Deadline)
            .where(Deadline.shipment_id.in_(ids), Deadline.state == "pending")
            .order_by(Deadline.due_at)
        ).scalars():
            deadlines[deadline.shipment_id].append(deadline)
    return OrderDetail(
        order,
        shop,
        platform,
        items,
        [ShipmentDetail(s, c, o, cr, events[s.id], deadlines[s.id]) for s, c, o, cr in rows],
    )
