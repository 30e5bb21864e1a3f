"""Exposure: what the scope's pending deadlines are expected to cost, for the 损失与风险 board.

:func:`exposure` gives the same figures as :func:`lanshou.analytics.at_risk.live_at_risk` with
``limit=None`` — the number of pending deadlines, and the sum of their ``expected_cost``
(breach probability × cost of a miss, to the fen; only pickup deadlines of shipments marked
shipped have a probability) — computed from plain columns instead of one object per deadline:
the cost of a miss once per distinct (profile, rule, amount, quantity, unit price), the breach
curve once per (carrier, outlet, segment), the segment once per hour of marking, the rounding
in integer fen. A test holds the two equal.

It still touches every pending pickup deadline (about 12,600 with a million orders a month)
and needs the scope's breach model (fitted once an hour per scope, ~20 s at that size), too
much for a page. So the worker's refresh (:func:`refresh_exposure`, called by
``refresh_aggregates`` when given the rules) stores the figures of all shops and of each
user's set of shops (what ``orders.scope_for`` gives a merchant) in ``analytics_exposure``;
the board (:func:`board_exposure`) shows the stored figure of its scope when it is at most
``MAX_AGE`` old, with its time, and computes it live otherwise (no sweep for an hour, or a scope
no user has). The hour is deliberate: with a million orders one refresh takes minutes, and a
page that recomputed whenever the figure was a few minutes old fitted breach models inside
requests while holding the analytics lock, so every board waited on it (the web load test of
issue #16 measured a p95 of 140 s on the losses page that way). The page says "as of" when.

The same pass stores, per scope, each of those deadlines' breach probability, expected cost and
place in the at-risk board's "probability × cost" order (``analytics_breach_risk``), so the
at-risk board pages its rows in SQL and never fits a model in a request
(:mod:`lanshou.analytics.at_risk`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import among
from lanshou.adapters.db.models import (
    BreachRisk,
    Deadline,
    ExposureSnapshot,
    Order,
    Shipment,
    ShopMembership,
)
from lanshou.analytics.miss_cost import miss_cost
from lanshou.analytics.pickup_rules import among_pickup_rules, pickup_rule_keys
from lanshou.analytics.prediction import model_for
from lanshou.analytics.scoping import scoped
from lanshou.analytics.survival import Curve, miss_probability, segment_of
from lanshou.domain.money import from_fen, to_fen
from lanshou.enforcement import RulesContext
from lanshou.identity import Scope

MILLION = 10**6
INSERT_CHUNK = 10_000
MAX_AGE = timedelta(hours=1)  # see the module docstring

# (shop, profile, rule, due_at, carrier, outlet, shipped_at, amount fen, max unit fen, quantity,
#  deadline id)
Row = tuple[Any, ...]


def pending_count(session: Session, scope: Scope) -> int:
    """The scope's pending deadlines, of every rule."""
    q = select(func.count()).select_from(Deadline).where(Deadline.state == "pending")
    return int(session.execute(scoped(q, Deadline.shop_id, scope)).scalar_one())


def pending_pickups(session: Session, scope: Scope, ctx: RulesContext) -> list[Row]:
    """The scope's pending pickup deadlines (the rules' of
    :func:`~lanshou.analytics.pickup_rules.pickup_rule_keys`) of shipments marked shipped, with
    what pricing and predicting a miss needs."""
    # Two steps, each by index: the deadlines, then their shipments by id in one statement
    # (as one join, PostgreSQL hashes the whole shipments table).
    q = select(
        Deadline.shipment_id,
        Deadline.shop_id,
        Deadline.profile,
        Deadline.rule_id,
        Deadline.due_at,
        Deadline.id,
    ).where(
        Deadline.state == "pending",
        among_pickup_rules(Deadline.profile, Deadline.rule_id, pickup_rule_keys(session, ctx)),
        Deadline.due_at.is_not(None),
    )
    deadlines = session.execute(scoped(q, Deadline.shop_id, scope)).all()
    ids = sorted({d[0] for d in deadlines})
    shipments: dict[int, tuple[Any, ...]] = {}
    if ids:
        for sid, *rest in session.execute(
            select(
                Shipment.id,
                Shipment.carrier_id,
                Shipment.outlet_id,
                Shipment.shipped_at,
                Shipment.amount_fen,
                Shipment.max_unit_price_fen,
                Order.quantity,
            )
            .join(Order, Order.id == Shipment.order_id)
            .where(among(session.connection(), Shipment.id, ids), Shipment.shipped_at.is_not(None))
        ):
            shipments[sid] = tuple(rest)
    return [
        (shop, profile, rule_id, due_at, *shipments[sid], deadline_id)
        for sid, shop, profile, rule_id, due_at, deadline_id in deadlines
        if sid in shipments
    ]


@dataclass(frozen=True)
class Priced:
    """One pending pickup deadline with its breach probability and expected cost in fen."""

    deadline_id: int
    due_at: datetime
    probability: float
    expected_fen: int


def priced(
    session: Session, scope: Scope, now: datetime, ctx: RulesContext, rows: Sequence[Row]
) -> Iterator[Priced]:
    """The breach probability and expected cost of each of ``rows`` (the scope's, from
    :func:`pending_pickups`) with the scope's breach model; rows without one are left out."""
    if not rows:
        return
    model = model_for(session, scope, now)
    costs: dict[tuple[Any, ...], Decimal] = {}
    segments: dict[int, tuple[str, int]] = {}
    curves: dict[tuple[Any, ...], Curve | None] = {}
    for (
        _shop,
        profile,
        rule_id,
        due_at,
        carrier,
        outlet,
        shipped_at,
        amount,
        max_unit,
        qty,
        deadline_id,
    ) in rows:
        remaining = (due_at - now).total_seconds() / 3600
        if remaining <= 0:
            p = 1.0
        else:
            hour = int(shipped_at.timestamp()) // 3600  # China has whole-hour offsets
            segment = segments.get(hour)
            if segment is None:
                segment = segments[hour] = segment_of(shipped_at)
            ck = (carrier, outlet, segment)
            if ck not in curves:
                found = model.curve(carrier, outlet, segment)
                curves[ck] = found[1] if found is not None else None
            curve = curves[ck]
            if curve is None:
                continue
            elapsed = max(0.0, (now - shipped_at).total_seconds() / 3600)
            p = miss_probability(curve, elapsed, remaining)
        key = (profile, rule_id, amount, qty, max_unit)
        cost = costs.get(key)
        if cost is None:
            cost = costs[key] = _cost(ctx, profile, rule_id, amount, qty, max_unit)
        # AtRiskItem.expected_cost: (Decimal(str(round(p, 6))) * cost).quantize(0.01), which
        # is k / 10⁶ × cost rounded half-even to the fen, k = round(p, 6) × 10⁶ exactly.
        k = round(round(p, 6) * MILLION)
        fen = cost * 100
        if fen == fen.to_integral_value():
            q, r = divmod(k * int(fen), MILLION)
            if 2 * r > MILLION or (2 * r == MILLION and q % 2):
                q += 1
        else:  # a cost that is not whole fen (none in practice)
            q = to_fen((Decimal(str(round(p, 6))) * cost).quantize(Decimal("0.01")))
        yield Priced(deadline_id, due_at, p, q)


def expected_cost(
    session: Session, scope: Scope, now: datetime, ctx: RulesContext, rows: Sequence[Row]
) -> Decimal:
    """Σ expected cost of ``rows`` (the scope's, from :func:`pending_pickups`) with the
    scope's breach model."""
    return from_fen(sum(it.expected_fen for it in priced(session, scope, now, ctx, rows)))


def ranked(items: Iterator[Priced] | Sequence[Priced]) -> list[Priced]:
    """The at-risk board's "probability × cost" order: highest expected cost first, then
    soonest due, then deadline id."""
    return sorted(items, key=lambda it: (-it.expected_fen, it.due_at, it.deadline_id))


def exposure(
    session: Session, scope: Scope, now: datetime, ctx: RulesContext
) -> tuple[Decimal, int]:
    """(Σ expected cost of the pending deadlines, number of pending deadlines), live."""
    count = pending_count(session, scope)
    return expected_cost(session, scope, now, ctx, pending_pickups(session, scope, ctx)), count


def scope_key(shops: frozenset[int] | None) -> str:
    """``analytics_exposure.scope_key`` of a scope: ``all``, or its sorted shop ids."""
    if shops is None:
        return "all"
    key = ",".join(str(i) for i in sorted(shops))
    return key if len(key) <= 64 else "h" + hashlib.sha256(key.encode()).hexdigest()[:63]


def stored_scopes(session: Session) -> list[frozenset[int] | None]:
    """The scopes the worker stores: all shops, and each user's set of shops."""
    members: dict[int, set[int]] = defaultdict(set)
    for user, shop in session.execute(select(ShopMembership.user_id, ShopMembership.shop_id)):
        members[user].add(shop)
    return [None, *sorted({frozenset(v) for v in members.values()}, key=sorted)]


@dataclass
class Snapshots:
    """What one refresh stores: ``analytics_exposure`` rows and ``analytics_breach_risk`` rows."""

    exposure: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)


def refresh_exposure(session: Session, now: datetime, ctx: RulesContext) -> None:
    """Store the exposure and the at-risk ranking as of ``now`` of every scope of
    :func:`stored_scopes`."""
    store_snapshots(session, compute_snapshots(session, now, ctx))


def store_snapshots(session: Session, snapshots: Snapshots) -> None:
    session.execute(delete(BreachRisk))
    session.execute(delete(ExposureSnapshot))
    session.execute(insert(ExposureSnapshot), snapshots.exposure)
    for i in range(0, len(snapshots.risks), INSERT_CHUNK):
        session.execute(insert(BreachRisk), snapshots.risks[i : i + INSERT_CHUNK])


def compute_snapshots(session: Session, now: datetime, ctx: RulesContext) -> Snapshots:
    """The rows of ``analytics_exposure`` and ``analytics_breach_risk`` as of ``now``: one read
    of the pending pickup deadlines, each scope with its own breach model (the first call of
    an hour fits them)."""
    rows = pending_pickups(session, Scope(None), ctx)
    counts = dict(
        session.execute(
            select(Deadline.shop_id, func.count())
            .where(Deadline.state == "pending")
            .group_by(Deadline.shop_id)
        ).all()
    )
    by_shop: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_shop[row[0]].append(row)
    out = Snapshots()
    for shops in stored_scopes(session):
        if shops is None:
            mine, n = rows, sum(counts.values())
        else:
            mine = [r for shop in sorted(shops) for r in by_shop.get(shop, [])]
            n = sum(counts.get(shop, 0) for shop in shops)
        key = scope_key(shops)
        items = ranked(priced(session, Scope(shops), now, ctx, mine))
        out.exposure.append(
            dict(
                scope_key=key,
                computed_at=now,
                expected_fen=sum(it.expected_fen for it in items),
                pending=int(n),
            )
        )
        out.risks.extend(
            dict(
                scope_key=key,
                deadline_id=it.deadline_id,
                rank=rank,
                probability=it.probability,
                expected_fen=it.expected_fen,
            )
            for rank, it in enumerate(items)
        )
    return out


def board_exposure(
    session: Session, scope: Scope, now: datetime, ctx: RulesContext
) -> tuple[Decimal, int, datetime]:
    """(exposure, pending deadlines, as of when) for the board: the stored figure of the
    scope when at most ``MAX_AGE`` old, else computed now."""
    snap = session.get(ExposureSnapshot, scope_key(scope.shop_ids))
    if snap is not None and timedelta(0) <= now - snap.computed_at <= MAX_AGE:
        return from_fen(snap.expected_fen), snap.pending, snap.computed_at
    value, count = exposure(session, scope, now, ctx)
    return value, count, now


def _cost(
    ctx: RulesContext,
    profile: str,
    rule_id: str,
    amount_fen: int,
    quantity: int,
    max_unit_fen: int | None,
) -> Decimal:
    """Compensation + fine of a miss, as the at-risk board prices it."""
    comp, fine = miss_cost(ctx.profile(profile).rule(rule_id), amount_fen, quantity, max_unit_fen)
    return comp + fine
