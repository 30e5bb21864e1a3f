"""What-if: replay the database's shipments through the batch engine under changed rules, or
with another carrier's pickup latencies, and compare violations and money per shop.

The facts are exported from the database into DuckDB (one CSV, read in one pass), then
:func:`~lanshou.batch.engine.evaluate_batch` runs twice — base and changed — with the same
calendar, exemptions and ``now``. Money here is what the rules would charge (compensation,
allocated fines, automatic refunds), before appeals.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.models import (
    Carrier,
    Order,
    OrderItem,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
)
from lanshou.analytics.losses import fen_str
from lanshou.analytics.period import Period
from lanshou.batch import evaluate_batch
from lanshou.domain.money import from_fen
from lanshou.domain.rules.profile import Profile
from lanshou.enforcement import RulesContext, approved_exemptions
from lanshou.errors import InvalidInput, NotFound

COLUMNS = (
    "shipment_key",
    "order_id",
    "shop_id",
    "paid_at",
    "shipped_at",
    "exp_ship_time",
    "shipping_limit_at",
    "first_pickup_at",
    "amount",
    "max_unit_price",
    "quantity",
    "province",
    "carrier_code",
    "order_status",
)
SETTABLE = ("hours", "fine", "auto_refund_after_hours")


@dataclass(frozen=True)
class Change:
    rule_id: str
    field: str
    value: Decimal


def parse_change(text: str) -> Change:
    """'pickup_timeout.hours=12' → Change('pickup_timeout', 'hours', Decimal('12'))."""
    try:
        target, raw = text.split("=", 1)
        rule_id, name = target.strip().split(".", 1)
        value = Decimal(raw.strip())
    except (ValueError, InvalidOperation) as exc:
        raise InvalidInput(
            f"--set {text!r}: use RULE.FIELD=NUMBER, e.g. pickup_timeout.hours=12", field="set"
        ) from exc
    if name not in SETTABLE or value <= 0:
        raise InvalidInput(f"--set {text!r}: FIELD is one of {SETTABLE}, NUMBER > 0", field="set")
    return Change(rule_id, name, value)


def apply_changes(profile: Profile, changes: Sequence[Change]) -> Profile:
    """A copy of the profile with each change applied (the original is left as it is)."""
    rules = list(profile.rules)
    for ch in changes:
        idx = next((i for i, r in enumerate(rules) if r.id == ch.rule_id), None)
        if idx is None:
            raise InvalidInput(f"profile {profile.name} has no rule {ch.rule_id!r}", field="set")
        rule = rules[idx]
        if ch.field == "hours":
            if rule.duration is None:
                raise InvalidInput(f"rule {ch.rule_id} has no duration", field="set")
            rule = rule.model_copy(
                update={"duration": rule.duration.model_copy(update={"hours": ch.value})}
            )
        elif ch.field == "fine":
            if rule.consequences.fine is None:
                raise InvalidInput(f"rule {ch.rule_id} has no fine", field="set")
            fine = rule.consequences.fine.model_copy(update={"amount": ch.value})
            rule = rule.model_copy(
                update={"consequences": rule.consequences.model_copy(update={"fine": fine})}
            )
        else:
            rule = rule.model_copy(
                update={
                    "consequences": rule.consequences.model_copy(
                        update={"auto_refund_after_hours": ch.value}
                    )
                }
            )
        rules[idx] = rule
    return profile.model_copy(update={"rules": rules})


@dataclass
class Outcome:
    violations: dict[str, int] = field(default_factory=dict)  # rule → late, not exempt
    money_fen: int = 0

    @property
    def total(self) -> int:
        return sum(self.violations.values())


@dataclass
class ShopDiff:
    shop_id: int
    code: str
    name: str
    base: Outcome
    changed: Outcome

    def row(self) -> dict[str, Any]:
        return {
            "shop": self.code,
            "name": self.name,
            "violations_base": self.base.total,
            "violations_changed": self.changed.total,
            "violations_delta": self.changed.total - self.base.total,
            "money_base": _yuan(self.base.money_fen),
            "money_changed": _yuan(self.changed.money_fen),
            "money_delta": _yuan(self.changed.money_fen - self.base.money_fen),
            "by_rule": {
                r: [self.base.violations.get(r, 0), self.changed.violations.get(r, 0)]
                for r in sorted(set(self.base.violations) | set(self.changed.violations))
            },
        }


def _yuan(fen: int) -> str:
    return fen_str(fen)


def export_facts(
    session: Session, profile: Profile, period: Period | None, shop_ids: Iterable[int] | None = None
) -> list[list[Any]]:
    """The shipments of the profile's platforms as ``COLUMNS`` rows (times as ISO strings)."""
    pickups = (
        select(
            TrackingEvent.shipment_id.label("sid"),
            func.min(TrackingEvent.event_time).label("first"),
        )
        .where(TrackingEvent.status.in_(profile.pickup_statuses))
        .group_by(TrackingEvent.shipment_id)
        .subquery()
    )
    prices = (
        select(OrderItem.order_id.label("oid"), func.max(OrderItem.unit_price_fen).label("price"))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    q = (
        select(
            Shipment.id,
            Order.external_id,
            Order.shop_id,
            Order.paid_at,
            Shipment.shipped_at,
            Order.exp_ship_time,
            Shipment.shipping_limit_at,
            Shipment.picked_up_at,
            pickups.c.first,
            Shipment.amount_fen,
            Shipment.max_unit_price_fen,
            prices.c.price,
            Order.quantity,
            Order.buyer_province,
            Carrier.code,
            Order.status,
        )
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(Platform, Platform.id == Shop.platform_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(pickups, pickups.c.sid == Shipment.id)
        .outerjoin(prices, prices.c.oid == Order.id)
        .where(Platform.profile == profile.name)
    )
    if period is not None:
        q = q.where(Order.paid_at >= period.start, Order.paid_at < period.end)
    if shop_ids is not None:
        q = q.where(Order.shop_id.in_(sorted(shop_ids) or [-1]))

    def iso(t: datetime | None) -> str | None:
        return t.isoformat() if t is not None else None

    rows = []
    for (
        sid,
        ext,
        shop,
        paid,
        shipped,
        exp,
        limit,
        recorded,
        first,
        amount,
        max_unit,
        item_max,
        qty,
        prov,
        carrier,
        status,
    ) in session.execute(q):
        pickup = min((t for t in (recorded, first) if t is not None), default=None)
        unit = max_unit if max_unit is not None else item_max
        rows.append(
            [
                str(sid),
                ext,
                str(shop),
                iso(paid),
                iso(shipped),
                iso(exp),
                iso(limit),
                iso(pickup),
                str(from_fen(amount)),
                str(from_fen(unit)) if unit is not None else None,
                qty,
                prov,
                carrier,
                status,
            ]
        )
    return rows


def _replayed(
    rows: list[list[Any]],
    profile: Profile,
    ctx: RulesContext,
    exemptions: list[Any],
    now: datetime,
    query: str,
) -> list[Any]:
    """``query`` over ``lanshou_result`` after the engine judged ``rows`` (``COLUMNS``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "facts.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        con = duckdb.connect()
        try:
            types = {c: "VARCHAR" for c in COLUMNS}
            types.update({c: "TIMESTAMPTZ" for c in COLUMNS if c.endswith(("_at", "_time"))})
            types.update(amount="DECIMAL(18,2)", max_unit_price="DECIMAL(18,2)", quantity="INTEGER")
            con.execute(
                "CREATE TABLE facts AS SELECT * FROM read_csv(?, header=true, columns=?)",
                [str(path), types],
            )
            evaluate_batch(con, "facts", profile, ctx.calendar(profile), exemptions, now)
            return con.execute(query).fetchall()
        finally:
            con.close()


def late_charges(
    rows: list[list[Any]], profile: Profile, ctx: RulesContext, exemptions: list[Any], now: datetime
) -> list[tuple[int, str, str, datetime, int]]:
    """Every late, not exempt (shop, shipment key, rule, deadline, fen charged) of ``rows``."""
    if not rows:
        return []
    result = _replayed(
        rows,
        profile,
        ctx,
        exemptions,
        now,
        """SELECT shop_id, shipment_key, rule, deadline,
                  CAST((compensation + fine + auto_refund) * 100 AS BIGINT)
           FROM lanshou_result WHERE late AND NOT exempt""",
    )
    return [
        (int(shop), str(key), str(rule), at, int(fen or 0)) for shop, key, rule, at, fen in result
    ]


def _evaluate(
    rows: list[list[Any]], profile: Profile, ctx: RulesContext, exemptions: list[Any], now: datetime
) -> dict[int, Outcome]:
    out: dict[int, Outcome] = defaultdict(Outcome)
    if not rows:
        return out
    result = _replayed(
        rows,
        profile,
        ctx,
        exemptions,
        now,
        """SELECT shop_id, rule, count(*) FILTER (WHERE late AND NOT exempt),
                  CAST(sum(CASE WHEN late AND NOT exempt THEN compensation + fine
                                + auto_refund ELSE 0 END) * 100 AS BIGINT)
           FROM lanshou_result GROUP BY shop_id, rule""",
    )
    for shop, rule, n, fen in result:
        o = out[int(shop)]
        o.violations[rule] = int(n)
        o.money_fen += int(fen or 0)
    return out


def _diffs(
    session: Session, base: dict[int, Outcome], changed: dict[int, Outcome]
) -> list[ShopDiff]:
    ids = sorted(set(base) | set(changed))
    names = {
        i: (c, n)
        for i, c, n in session.execute(
            select(Shop.id, Shop.code, Shop.name).where(Shop.id.in_(ids or [-1]))
        )
    }
    return [
        ShopDiff(
            i, *names.get(i, (str(i), str(i))), base.get(i, Outcome()), changed.get(i, Outcome())
        )
        for i in ids
    ]


def whatif_rules(
    session: Session,
    ctx: RulesContext,
    profile_name: str,
    changes: Sequence[Change],
    now: datetime,
    period: Period | None = None,
) -> list[ShopDiff]:
    """Violations and money per shop under the profile as it is and with ``changes``."""
    profile = ctx.profile(profile_name)
    changed = apply_changes(profile, changes)
    rows = export_facts(session, profile, period)
    exemptions = approved_exemptions(session)
    return _diffs(
        session,
        _evaluate(rows, profile, ctx, exemptions, now),
        _evaluate(rows, changed, ctx, exemptions, now),
    )


def carrier_latencies(session: Session, carrier_code: str, province: str) -> list[float]:
    """Observed pickup latencies (seconds) of a carrier for shops shipping from a province."""
    q = (
        select(Shipment.shipped_at, Shipment.picked_up_at)
        .join(Order, Order.id == Shipment.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(Carrier, Carrier.id == Shipment.carrier_id)
        .where(
            Carrier.code == carrier_code,
            Shop.origin_province == province,
            Shipment.shipped_at.is_not(None),
            Shipment.picked_up_at.is_not(None),
        )
    )
    return sorted(
        (p - s).total_seconds() for s, p in session.execute(q) if s is not None and p is not None
    )


def whatif_carrier(
    session: Session,
    ctx: RulesContext,
    shop_code: str,
    carrier_code: str,
    province: str,
    now: datetime,
    period: Period | None = None,
    seed: int = 7,
) -> list[ShopDiff]:
    """What if the shop had used ``carrier_code``: each of its shipments gets a pickup latency
    drawn (deterministically, per shipment) from that carrier's latencies in ``province``."""
    shop = session.execute(
        select(Shop, Platform.profile)
        .join(Platform, Platform.id == Shop.platform_id)
        .where(Shop.code == shop_code)
    ).first()
    if shop is None:
        raise NotFound(f"shop {shop_code!r} not found")
    profile = ctx.profile(shop[1])
    pool = carrier_latencies(session, carrier_code, province)
    if not pool:
        raise InvalidInput(
            f"no picked-up {carrier_code} shipments from {province} to learn from", field="carrier"
        )
    rows = export_facts(session, profile, period, [shop[0].id])
    swapped = [swap_carrier(r, carrier_code, pool, now, seed) for r in rows]
    exemptions = approved_exemptions(session)
    return _diffs(
        session,
        _evaluate(rows, profile, ctx, exemptions, now),
        _evaluate(swapped, profile, ctx, exemptions, now),
    )


def swap_carrier(
    row: list[Any], carrier_code: str, pool: list[float], now: datetime, seed: int = 7
) -> list[Any]:
    """``row`` as if ``carrier_code`` had taken it: a pickup latency drawn (deterministically,
    per shipment) from ``pool``; a pickup after ``now`` has not happened yet."""
    swapped = list(row)
    if row[4] is not None:
        shipped = datetime.fromisoformat(row[4])
        latency = pool[random.Random(f"{seed}:{row[0]}").randrange(len(pool))]
        pickup = shipped + timedelta(seconds=latency)
        swapped[7] = pickup.isoformat() if pickup <= now else None
        swapped[12] = carrier_code
    return swapped
