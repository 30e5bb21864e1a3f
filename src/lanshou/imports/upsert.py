"""Write one chunk of order records: bulk upserts on natural keys, audited changes, evaluation.

Natural keys: an order is (shop, external id), an item (order, sku), a shipment (order, key).
Per chunk: one SELECT per table for what exists, one bulk INSERT for what is new, one bulk
UPDATE for what changed; every changed order gets one audit record listing old → new. Items and
shipments missing from a later file are left alone (an export may be partial).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Executable, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from lanshou import audit
from lanshou.adapters.db.models import Order, OrderItem, Platform, Shipment, Shop
from lanshou.adapters.db.models import TrackingEvent as EventRow
from lanshou.adapters.db.statistics import hold_statistics, refresh_stale_statistics
from lanshou.domain.tracking import TrackingUpdate
from lanshou.enforcement import (
    RulesContext,
    attach_orphan_events,
    evaluate_shipments,
    record_events,
)
from lanshou.imports.records import OrderRecord
from lanshou.orders import CarrierResolver, carrier_row, queue_tracking_subscriptions

__all__ = ["ChunkResult", "OrderWriter", "ensure_platform"]

ACTOR = "import"
ORDER_FIELDS = (
    "status",
    "paid_at",
    "amount_fen",
    "quantity",
    "buyer_province",
    "buyer_city",
    "exp_ship_time",
    "buyer_phone_tail",
)
# Fields many sources do not carry (a file without a phone column, a masked phone): an order
# read from one of those keeps what another source told.
KEPT_WHEN_UNKNOWN = frozenset({"buyer_phone_tail"})
ITEM_FIELDS = ("title", "unit_price_fen", "quantity")
SHIPMENT_FIELDS = (
    "carrier_id",
    "waybill_no",
    "shipped_at",
    "shipping_limit_at",
    "amount_fen",
    "max_unit_price_fen",
)
# The tables a chunk grows and its evaluation then joins (the fines re-allocation reads
# violations with their shipments and orders).
GROWN_TABLES = (cast(Table, Order.__table__), cast(Table, Shipment.__table__))
# Shops per look-up query: an OR of this many terms stays well inside SQLite's expression
# depth limit (1,000).
SHOPS_PER_QUERY = 250


@dataclass
class ChunkResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_carriers: Counter[str] = field(default_factory=Counter)
    shipments_evaluated: int = 0
    pickup_events: int = 0


def ensure_platform(session: Session, code: str, profile: str) -> int:
    """The platform's id, creating it (with `profile`) if it does not exist."""
    found = session.execute(select(Platform.id).where(Platform.code == code)).scalar_one_or_none()
    if found is not None:
        return found
    row = Platform(code=code, name=code, profile=profile)
    session.add(row)
    session.flush()
    return row.id


def _bulk_update(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE table SET … WHERE id = … as one executemany per set of changed columns."""
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        cols = tuple(sorted(k for k in row if k != "id"))
        by_cols.setdefault(cols, []).append({f"b_{k}": v for k, v in row.items()})
    for cols, params in by_cols.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in cols})
        )
        session.connection().execute(stmt, params)


@cache  # at most 2 × SHOPS_PER_QUERY statements, compiled once each
def _orders_by_keys(whole: bool, shops: int) -> Executable:
    """Orders (rows, or id, shop and external id) of `shops` (shop id, external ids) groups."""
    where = or_(
        *(
            and_(
                Order.shop_id == bindparam(f"ks{j}"),
                Order.external_id.in_(bindparam(f"ke{j}", expanding=True)),
            )
            for j in range(shops)
        )
    )
    if whole:
        return select(Order).where(where)
    return select(Order.id, Order.shop_id, Order.external_id).where(where)


def _find_orders(session: Session, keys: Iterable[tuple[int, str]], whole: bool) -> Iterator[Any]:
    """The orders with exactly these (shop id, external id) keys: ORM rows if `whole`, else
    (id, shop id, external id) tuples.

    One term per shop, ``shop_id = s AND external_id IN (…)``, OR-ed: every key is one probe of
    the (shop_id, external_id) index. ``shop_id IN (…) AND external_id IN (…)`` made SQLite
    probe every shop of the chunk for every order number of the chunk (500 shops × 5,000 rows
    is 2.5 M probes, about a second per query).
    """
    by_shop: dict[int, list[str]] = {}
    for shop, external_id in keys:
        by_shop.setdefault(shop, []).append(external_id)
    shops = sorted(by_shop)
    for i in range(0, len(shops), SHOPS_PER_QUERY):
        part = shops[i : i + SHOPS_PER_QUERY]
        params: dict[str, Any] = {}
        for j, shop in enumerate(part):
            params[f"ks{j}"] = shop
            params[f"ke{j}"] = sorted(by_shop[shop])
        result = session.execute(_orders_by_keys(whole, len(part)), params)
        yield from (result.scalars() if whole else result)


def _changes(old: Any, new: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The fields whose value changes; None in a field of :data:`KEPT_WHEN_UNKNOWN` keeps
    the stored value."""
    return {
        f: new[f]
        for f in fields
        if getattr(old, f) != new[f] and not (new[f] is None and f in KEPT_WHEN_UNKNOWN)
    }


class OrderWriter:
    """Upserts chunks of orders of one platform; keeps shop and carrier look-ups across chunks."""

    def __init__(
        self,
        platform_id: int,
        now: datetime,
        ctx: RulesContext,
        reason: str,
        *,
        defer_fines: bool = False,
    ) -> None:
        """``defer_fines``: mark the shops whose fines are to be re-allocated instead of doing it
        per chunk; the caller drains the marks at its end (``drain_fine_marks``)."""
        self.platform_id = platform_id
        self.now = now
        self.ctx = ctx
        self.reason = reason
        self.defer_fines = defer_fines
        self._shops: dict[str, int] = {}
        self._carriers: dict[str, int | None] = {}
        self._resolver: CarrierResolver | None = None

    def _carrier_id(self, session: Session, name: str) -> int | None:
        """The carrier any spelling names, as the tracking feeds resolve it (the table's rows,
        then the built-in carriers, whose row is added on first use); None if nobody knows it."""
        key = name.strip().lower()
        if key not in self._carriers:
            if self._resolver is None:
                self._resolver = CarrierResolver.load(session)
            code = self._resolver.code(name)
            self._carriers[key] = carrier_row(session, code).id if code is not None else None
        return self._carriers[key]

    def _shop_ids(self, session: Session, codes: set[str]) -> dict[str, int]:
        missing = sorted(codes - set(self._shops))
        if missing:
            q = select(Shop.code, Shop.id).where(
                Shop.platform_id == self.platform_id, Shop.code.in_(missing)
            )
            found = dict(session.execute(q).all())
            new = [c for c in missing if c not in found]
            if new:
                session.execute(
                    insert(Shop),
                    [{"platform_id": self.platform_id, "code": c, "name": c} for c in new],
                )
                found.update(session.execute(q).all())
            self._shops.update(found)
        return {c: self._shops[c] for c in codes}

    def forget_uncommitted(self) -> None:
        """After a rollback: shops created in it no longer exist."""
        self._shops.clear()

    def write(self, session: Session, records: Sequence[OrderRecord]) -> ChunkResult:
        result = ChunkResult()
        if not records:
            return result
        # Before any write (see hold_statistics): no VACUUM of these tables, autovacuum's
        # included, can see this chunk's rows uncommitted and store "0 rows" for them.
        hold_statistics(session, GROWN_TABLES)
        shops = self._shop_ids(session, {r.shop for r in records})
        keyed = {(shops[r.shop], r.external_id): r for r in records}
        order_rows = {(o.shop_id, o.external_id): o for o in _find_orders(session, keyed, True)}
        diffs: dict[int, dict[str, list[Any]]] = {}
        new_orders: list[dict[str, Any]] = []
        order_updates: list[dict[str, Any]] = []
        for key, rec in keyed.items():
            values = {
                "status": rec.status,
                "paid_at": rec.paid_at,
                "amount_fen": rec.amount_fen,
                "quantity": rec.quantity,
                "buyer_province": rec.province,
                "buyer_city": rec.city,
                "exp_ship_time": rec.exp_ship_time,
                # A file without a phone (or a masked one) does not erase a known tail.
                "buyer_phone_tail": rec.buyer_phone_tail,
            }
            existing = order_rows.get(key)
            if existing is None:
                new_orders.append(
                    {
                        "shop_id": key[0],
                        "external_id": key[1],
                        **values,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                continue
            changed = _changes(existing, values, ORDER_FIELDS)
            if changed:
                diffs[existing.id] = {f: [getattr(existing, f), v] for f, v in changed.items()}
                order_updates.append({"id": existing.id, **changed, "updated_at": self.now})
        if new_orders:
            session.execute(insert(Order), new_orders)
        order_ids = {(sid, ext): oid for oid, sid, ext in _find_orders(session, keyed, False)}
        by_id = {order_ids[k]: rec for k, rec in keyed.items()}
        new_ids = {order_ids[(o["shop_id"], o["external_id"])] for o in new_orders}
        self._write_items(session, by_id, diffs)
        touched = self._write_shipments(session, by_id, diffs, new_ids, result)
        # A VACUUM that ran before this chunk (one of a killed run's dead rows, or of the rows in
        # flight in its re-run) may have left "0 rows" behind: the evaluation's joins would then
        # run as nested loops over whole tables.
        orders, shipments = GROWN_TABLES
        with_shipment = sum(1 for rec in keyed.values() if rec.shipment is not None)
        refresh_stale_statistics(session, {orders: len(order_ids), shipments: with_shipment})
        # Expire ORM copies before the bulk UPDATE so nothing stale lingers in the session.
        session.expire_all()
        if order_updates:
            _bulk_update(session, cast(Table, Order.__table__), order_updates)
        for oid in sorted(diffs):
            if oid in new_ids:
                continue
            audit.record(
                session,
                entity_type="order",
                entity_id=oid,
                action="updated",
                actor=ACTOR,
                at=self.now,
                reason=self.reason,
                data={k: {"old": o, "new": n} for k, (o, n) in diffs[oid].items()},
            )
        result.inserted = len(new_ids)
        result.updated = len([oid for oid in diffs if oid not in new_ids])
        result.unchanged = len(keyed) - result.inserted - result.updated
        if touched:
            evaluation = evaluate_shipments(
                session,
                sorted(touched),
                self.now,
                self.ctx,
                actor=ACTOR,
                defer_fines=self.defer_fines,
            )
            result.shipments_evaluated = evaluation.shipments
        return result

    def _write_items(
        self, session: Session, by_id: dict[int, OrderRecord], diffs: dict[int, dict[str, Any]]
    ) -> None:
        wanted = {(oid, sku): item for oid, rec in by_id.items() for sku, item in rec.items.items()}
        if not wanted:
            return
        existing = {
            (i.order_id, i.sku): i
            for i in session.execute(
                select(OrderItem).where(OrderItem.order_id.in_(sorted(by_id)))
            ).scalars()
        }
        inserts, updates = [], []
        for (oid, sku), item in wanted.items():
            values = {
                "title": item.title,
                "unit_price_fen": item.unit_price_fen,
                "quantity": item.quantity,
            }
            old = existing.get((oid, sku))
            if old is None:
                inserts.append({"order_id": oid, "sku": sku, **values})
                diffs.setdefault(oid, {})[f"items[{sku}]"] = [None, values]
                continue
            changed = _changes(old, values, ITEM_FIELDS)
            if changed:
                updates.append({"id": old.id, **changed})
                for f, v in changed.items():
                    diffs.setdefault(oid, {})[f"items[{sku}].{f}"] = [getattr(old, f), v]
        if inserts:
            session.execute(insert(OrderItem), inserts)
        if updates:
            _bulk_update(session, cast(Table, OrderItem.__table__), updates)

    def _write_shipments(
        self,
        session: Session,
        by_id: dict[int, OrderRecord],
        diffs: dict[int, dict[str, Any]],
        new_ids: set[int],
        result: ChunkResult,
    ) -> set[int]:
        """Upsert shipments; record Olist pickups; attach early events. Returns ids to judge."""
        existing = {
            (s.order_id, s.key): s
            for s in session.execute(
                select(Shipment).where(Shipment.order_id.in_(sorted(by_id)))
            ).scalars()
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        marked: list[tuple[int, str, str]] = []
        touched: set[int] = set()
        for oid, rec in by_id.items():
            ship = rec.shipment
            if ship is None:
                continue
            carrier_id = None
            if ship.carrier:
                carrier_id = self._carrier_id(session, ship.carrier)
                if carrier_id is None:
                    result.unknown_carriers[ship.carrier] += 1
            values = {
                "carrier_id": carrier_id,
                "waybill_no": ship.waybill,
                "shipped_at": ship.shipped_at,
                "shipping_limit_at": ship.shipping_limit_at,
                "amount_fen": ship.amount_fen,
                "max_unit_price_fen": ship.max_unit_price_fen,
            }
            old = existing.get((oid, ship.key))
            if old is None:
                status = "awaiting_pickup" if ship.marked_shipped else "created"
                inserts.append({"order_id": oid, "key": ship.key, "status": status, **values})
                if oid not in new_ids:
                    diffs.setdefault(oid, {})[f"shipment[{ship.key}]"] = [None, "created"]
                if ship.marked_shipped and ship.waybill:
                    marked.append((oid, ship.key, ship.waybill))
                continue
            changed = _changes(old, values, SHIPMENT_FIELDS)
            if changed:
                if ship.marked_shipped and old.status == "created":
                    changed["status"] = "awaiting_pickup"
                updates.append({"id": old.id, **changed})
                touched.add(old.id)
                for f, v in changed.items():
                    diffs.setdefault(oid, {})[f"shipment[{ship.key}].{f}"] = [getattr(old, f), v]
                if "waybill_no" in changed and ship.marked_shipped and ship.waybill:
                    marked.append((oid, ship.key, ship.waybill))
            elif oid in diffs:
                touched.add(old.id)  # the order changed (status, paid_at …): judge again
        if inserts:
            session.execute(insert(Shipment), inserts)
        if updates:
            _bulk_update(session, cast(Table, Shipment.__table__), updates)
        ids = {
            (o, k): sid
            for sid, o, k in session.execute(
                select(Shipment.id, Shipment.order_id, Shipment.key).where(
                    Shipment.order_id.in_(sorted(by_id))
                )
            )
        }
        touched.update(ids[(o["order_id"], o["key"])] for o in inserts)
        newly_marked = [(ids[(o, k)], w) for o, k, w in marked]
        self._attach_orphans(session, newly_marked)
        queue_tracking_subscriptions(session, [sid for sid, _ in newly_marked], self.now)
        self._record_pickups(session, by_id, existing, ids, diffs, touched, result)
        return {t for t in touched if t is not None}

    def _record_pickups(
        self,
        session: Session,
        by_id: dict[int, OrderRecord],
        existing: dict[tuple[int, str], Shipment],
        ids: dict[tuple[int, str], int],
        diffs: dict[int, dict[str, Any]],
        touched: set[int],
        result: ChunkResult,
    ) -> None:
        """Olist hand-overs become pickup scans (deduplicated, so a re-import adds nothing)."""
        pickups: dict[str, tuple[int, TrackingUpdate]] = {}
        for oid, rec in by_id.items():
            ship = rec.shipment
            if ship is None or ship.picked_up_at is None:
                continue
            update_ = TrackingUpdate(
                waybill_no=ship.waybill or ship.key,
                status="picked_up",
                event_time=ship.picked_up_at,
                source="import",
                description="handed over to the carrier",
            )
            pickups[update_.dedup_key] = (oid, update_)
        if not pickups:
            return
        known = set(
            session.execute(
                select(EventRow.dedup_key).where(EventRow.dedup_key.in_(sorted(pickups)))
            ).scalars()
        )
        fresh = [(oid, u) for key, (oid, u) in pickups.items() if key not in known]
        if not fresh:
            return
        recorded = record_events(session, [u for _, u in fresh], self.now, self.ctx, evaluate=False)
        result.pickup_events += recorded.stored
        for oid, u in fresh:
            ship = by_id[oid].shipment
            assert ship is not None
            touched.add(ids[(oid, ship.key)])
            old = existing.get((oid, ship.key))
            if old is not None:
                diffs.setdefault(oid, {})[f"shipment[{ship.key}].picked_up_at"] = [
                    old.picked_up_at,
                    u.event_time,
                ]

    def _attach_orphans(self, session: Session, marked: list[tuple[int, str]]) -> None:
        """Events that arrived before the waybill was known join their shipment now."""
        if not marked:
            return
        waiting = set(
            session.execute(
                select(EventRow.waybill_no).where(
                    EventRow.shipment_id.is_(None),
                    EventRow.waybill_no.in_(sorted({w for _, w in marked})),
                )
            ).scalars()
        )
        for sid, waybill in marked:
            if waybill in waiting:
                attach_orphan_events(session, sid, waybill)
