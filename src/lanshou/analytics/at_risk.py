"""The at-risk board: pending deadlines by time left, with whom to call and what a miss costs.

The board pages its rows in SQL: by time left, the ``(state, due_at)`` index of ``deadlines``
gives the page; by probability × cost, the worker's ranking in ``analytics_breach_risk`` does
(:mod:`lanshou.analytics.exposure` stores, at each refresh, every pending pickup
deadline's breach probability, expected cost and place in that order, per scope). Only the
page's rows and their last contacts are loaded, and a request never fits a breach model: the
probabilities shown are the stored ones, as of the worker's last refresh (``probabilities_at``).
A deadline that the worker has not priced yet (new since its last refresh, or a scope it does
not store) shows no probability and, sorting by risk, comes after those with an expected cost.

:func:`live_at_risk` is the same board computed from scratch (every pending deadline of the
scope, probabilities from the scope's model, fitted if need be): the reference the stored
figures are tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, null, or_, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    BreachRisk,
    Carrier,
    Communication,
    Courier,
    Deadline,
    ExposureSnapshot,
    Order,
    Outlet,
    Shipment,
    Shop,
)
from lanshou.analytics.exposure import pending_count, scope_key
from lanshou.analytics.miss_cost import miss_cost
from lanshou.analytics.pickup_rules import PickupRules, pickup_rule_keys
from lanshou.analytics.prediction import OpenShipment, model_for, predict_many
from lanshou.analytics.scoping import scoped
from lanshou.enforcement import RulesContext
from lanshou.errors import InvalidInput, NotFound
from lanshou.identity import Scope

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
    carrier_name_en: str | None = None  # what English pages show

    @property
    def cost(self) -> Decimal:
        return self.compensation + self.fine

    @property
    def expected_cost(self) -> Decimal | None:
        """Probability × cost of a miss, to the fen."""
        if self.breach_probability is None:
            return None
        return (Decimal(str(round(self.breach_probability, 6))) * self.cost).quantize(
            Decimal("0.01")
        )


@dataclass(frozen=True)
class AtRiskBoard:
    items: list[AtRiskItem]
    # When the worker computed the stored breach probabilities of the board's scope; None when
    # it has stored none for this scope (the board then shows no probabilities).
    probabilities_at: datetime | None
    total: int = 0  # all of the scope's pending deadlines, not only this page's


SORTS = ("due", "risk")

# What a board row needs, as plain columns (the page's rows only).
_COLUMNS = (
    Deadline.id, Deadline.profile, Deadline.rule_id, Deadline.due_at,
    Shipment.id, Shipment.waybill_no, Shipment.amount_fen, Shipment.max_unit_price_fen,
    Shipment.carrier_id, Shipment.outlet_id, Shipment.shipped_at,
    Order.id, Order.external_id, Order.quantity, Shop.name,
    Carrier.name_zh, Outlet.name, Outlet.phone, Courier.name, Courier.phone, Carrier.name_en,
)  # fmt: skip
_SHIPMENT_ID = 4


def _rows(scope: Scope, *extra: Any) -> Select[*tuple[Any, ...]]:
    q = (
        select(*_COLUMNS, *extra)
        .join(Shipment, Shipment.id == Deadline.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(Outlet, Outlet.id == Shipment.outlet_id)
        .outerjoin(Courier, Courier.id == Shipment.courier_id)
        .where(Deadline.state == "pending")
    )
    return scoped(q, Deadline.shop_id, scope)


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of {SORTS}", field="sort")


def board(
    session: Session,
    scope: Scope,
    now: datetime,
    ctx: RulesContext,
    *,
    limit: int | None = 100,
    sort: str = "due",
    due_before: datetime | None = None,
) -> AtRiskBoard:
    """One page of the scope's pending deadlines with the cost of missing each and the chance
    of missing it (as stored by the worker): soonest first, or (``sort="risk"``) highest
    probability × cost first (ties soonest first), then those without an expected cost (no
    probability, or an expected cost of ¥0.00) soonest first, as :func:`live_at_risk`."""
    _check_sort(sort)
    if due_before is not None:
        return _due_soon_board(session, scope, now, ctx, due_before, limit)
    key = scope_key(scope.shop_ids)
    snapshot = session.get(ExposureSnapshot, key)
    at = snapshot.computed_at if snapshot is not None else None
    stored = and_(BreachRisk.scope_key == key, BreachRisk.deadline_id == Deadline.id)
    if at is None:
        rows = _page(session, _rows(scope, null()).order_by(Deadline.due_at, Deadline.id), limit)
    elif sort == "due":
        q = _rows(scope, BreachRisk.probability).outerjoin(BreachRisk, stored)
        rows = _page(session, q.order_by(Deadline.due_at, Deadline.id), limit)
    else:  # the stored order of those with an expected cost, then the others by time left
        rows = _ranked(session, scope, key, limit)
        if limit is None or len(rows) < limit:
            rest = (
                _rows(scope, BreachRisk.probability)
                .outerjoin(BreachRisk, stored)
                .where(or_(BreachRisk.expected_fen.is_(None), BreachRisk.expected_fen == 0))
                .order_by(Deadline.due_at, Deadline.id)
            )
            rows += _page(session, rest, None if limit is None else limit - len(rows))
    last_contacts = _last_contacts(session, [r[_SHIPMENT_ID] for r in rows])
    items = [_item(ctx, now, r, last_contacts.get(r[_SHIPMENT_ID]), r[-1]) for r in rows]
    total = len(items)
    if limit is not None and total >= limit:  # a full page: count them all (index only)
        total = pending_count(session, scope)
    return AtRiskBoard(items, at, total)


def _due_soon(scope: Scope, now: datetime, due_before: datetime, *extra: Any) -> Any:
    return _rows(scope, *extra).where(Deadline.due_at > now, Deadline.due_at <= due_before)


def due_soon_count(session: Session, scope: Scope, now: datetime, due_before: datetime) -> int:
    """Pending deadlines that pass after ``now`` and by ``due_before``: the home page's count
    of deadlines about to pass, and the length of the board it links to."""
    q = select(func.count()).select_from(_due_soon(scope, now, due_before).subquery())
    return int(session.execute(q).scalar_one())


def _due_soon_board(
    session: Session,
    scope: Scope,
    now: datetime,
    ctx: RulesContext,
    due_before: datetime,
    limit: int | None,
) -> AtRiskBoard:
    """The board narrowed to deadlines about to pass, soonest first, stored probabilities."""
    key = scope_key(scope.shop_ids)
    snapshot = session.get(ExposureSnapshot, key)
    stored = and_(BreachRisk.scope_key == key, BreachRisk.deadline_id == Deadline.id)
    q = _due_soon(scope, now, due_before, BreachRisk.probability).outerjoin(BreachRisk, stored)
    rows = _page(session, q.order_by(Deadline.due_at, Deadline.id), limit)
    last_contacts = _last_contacts(session, [r[_SHIPMENT_ID] for r in rows])
    items = [_item(ctx, now, r, last_contacts.get(r[_SHIPMENT_ID]), r[-1]) for r in rows]
    total = len(items)
    if limit is not None and total >= limit:
        total = due_soon_count(session, scope, now, due_before)
    return AtRiskBoard(items, snapshot.computed_at if snapshot else None, total)


def _ranked(session: Session, scope: Scope, key: str, limit: int | None) -> list[Any]:
    """The scope's pending deadlines with a stored expected cost above zero, in the stored
    order, ``limit`` at most. The ranking is read by its index a chunk at a time and the
    chunk's deadlines by id (as one join, the planner cannot tell that nearly every ranked
    deadline is pending and sorts them all); a deadline no longer pending is skipped."""
    chunk = limit + limit // 2 + 10 if limit is not None else 2000
    out: list[Any] = []
    last = -1
    while limit is None or len(out) < limit:
        ranked = session.execute(
            select(BreachRisk.rank, BreachRisk.deadline_id, BreachRisk.probability)
            .where(BreachRisk.scope_key == key, BreachRisk.rank > last, BreachRisk.expected_fen > 0)
            .order_by(BreachRisk.rank)
            .limit(chunk)
        ).all()
        if not ranked:
            break
        last = ranked[-1][0]
        by_id = {
            r[0]: r
            for r in session.execute(
                _rows(scope, null()).where(Deadline.id.in_([r[1] for r in ranked]))
            )
        }
        out += [(*by_id[d][:-1], p) for _, d, p in ranked if d in by_id]
        if len(ranked) < chunk:
            break
    return out if limit is None else out[:limit]


def _page(session: Session, q: Select[*tuple[Any, ...]], limit: int | None) -> list[Any]:
    if limit is not None:
        q = q.limit(limit)
    return list(session.execute(q).all())


def _item(
    ctx: RulesContext,
    now: datetime,
    row: Sequence[Any],
    last_contact: datetime | None,
    probability: float | None,
) -> AtRiskItem:
    (
        deadline_id,
        profile,
        rule_id,
        due_at,
        shipment_id,
        waybill,
        amount_fen,
        max_unit_fen,
        _carrier_id,
        _outlet_id,
        _shipped_at,
        order_id,
        external_id,
        quantity,
        shop,
        carrier,
        outlet,
        outlet_phone,
        courier,
        courier_phone,
        carrier_en,
    ) = row[: len(_COLUMNS)]
    rule = ctx.profile(profile).rule(rule_id)
    comp, fine = miss_cost(rule, amount_fen, quantity, max_unit_fen)
    assert due_at is not None
    return AtRiskItem(
        deadline_id, shipment_id, order_id, external_id, shop, rule_id, rule.label_zh,
        rule.label_en, due_at, int((due_at - now).total_seconds()), carrier, waybill, outlet,
        outlet_phone, courier, courier_phone, comp, fine, last_contact, probability, carrier_en,
    )  # fmt: skip


def live_at_risk(
    session: Session,
    scope: Scope,
    now: datetime,
    ctx: RulesContext,
    *,
    limit: int | None = 100,
    sort: str = "due",
) -> list[AtRiskItem]:
    """The board computed from scratch, probabilities from the scope's breach model as of
    ``now`` (fitted if this process has not fitted it this hour; seconds to a minute with a
    million orders): what the stored figures are tested against. Not for requests."""
    _check_sort(sort)
    q = _rows(scope).order_by(Deadline.due_at, Deadline.id)
    rows = _page(session, q, limit if sort == "due" else None)
    last_contacts = _last_contacts(session, [r[_SHIPMENT_ID] for r in rows])
    items = [_item(ctx, now, r, last_contacts.get(r[_SHIPMENT_ID]), None) for r in rows]
    probabilities = _probabilities(session, scope, now, rows, pickup_rule_keys(session, ctx))
    items = [
        replace(it, breach_probability=probabilities[it.deadline_id])
        if it.deadline_id in probabilities
        else it
        for it in items
    ]
    if sort == "risk":
        items.sort(key=lambda it: (-(it.expected_cost or Decimal(-1)), it.due_at, it.deadline_id))
        items = items[:limit] if limit is not None else items
    return items


def _probabilities(
    session: Session,
    scope: Scope,
    now: datetime,
    rows: Sequence[Any],
    pickup_rules: PickupRules,
) -> dict[int, float]:
    """Breach probabilities of the rows' pickup deadlines (those of ``pickup_rules``)."""
    wanted = [
        OpenShipment(r[0], r[8], r[9], r[10], r[3])
        for r in rows
        if (r[1], r[2]) in pickup_rules and r[3] is not None
    ]
    if not wanted:
        return {}
    return {
        k: p.probability
        for k, p in predict_many(model_for(session, scope, now), wanted, now).items()
    }


def _last_contacts(session: Session, shipment_ids: list[int]) -> dict[int, datetime]:
    if not shipment_ids:
        return {}
    rows = session.execute(
        select(Communication.shipment_id, func.max(Communication.occurred_at))
        .where(Communication.shipment_id.in_(shipment_ids))
        .group_by(Communication.shipment_id)
    )
    return {sid: at for sid, at in rows if sid is not None}


def _check_happened(happened: datetime, now: datetime, paid_at: datetime) -> None:
    if happened.tzinfo is None:
        raise InvalidInput("occurred_at needs a time zone", field="occurred_at")
    if happened > now:
        raise InvalidInput(
            f"occurred_at {happened.isoformat()} is later than now ({now.isoformat()})",
            field="occurred_at",
            latest=now.isoformat(),
        )
    if happened < paid_at:
        raise InvalidInput(
            f"occurred_at {happened.isoformat()} is before the order was paid "
            f"({paid_at.isoformat()})",
            field="occurred_at",
            earliest=paid_at.isoformat(),
        )


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
    now: datetime,
    occurred_at: datetime | None = None,
) -> Communication:
    """Add a contact-log entry for a shipment the user may see (404 otherwise).

    ``occurred_at`` is when the call or chat happened (by default ``now``, when it is logged):
    a courier called at 09:10 and written down at 17:30 counts as chased at 09:10. It cannot be
    later than ``now`` nor before the order was paid."""
    happened = now if occurred_at is None else occurred_at
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
        select(Shipment.id, Order.id, Order.shop_id, Order.paid_at)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.id == shipment_id)
    ).one_or_none()
    if row is None or (scope.shop_ids is not None and row[2] not in scope.shop_ids):
        raise NotFound(f"shipment {shipment_id} not found")
    _check_happened(happened, now, row[3])
    entry = Communication(
        shop_id=row[2],
        order_id=row[1],
        shipment_id=shipment_id,
        user_id=user_id,
        counterpart_kind=counterpart_kind,
        counterpart_name=counterpart_name.strip()[:128],
        channel=channel,
        occurred_at=happened,
        recorded_at=now,
        summary=summary,
    )
    session.add(entry)
    session.flush()
    return entry
