"""The hot loop: orders, items, one shipment each and its tracking events, as plain tuples.

Times are integer UTC seconds until they are rendered. Every random draw comes from one
``random.Random`` in a fixed order, so a seed and ``now`` give the same rows whatever the chunk
size. Only events at or before ``now`` are emitted; the shipment's status, pickup time and last
event time are derived from exactly those events.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from math import exp

from lanshou.demo.bulk import Row, TimeText
from lanshou.demo.catalogue import SHOPS
from lanshou.demo.places import (
    DESTINATIONS,
    GIVEN_NAMES,
    MOBILE_PREFIXES,
    SAME_PROVINCE_TRANSIT_HOURS,
    SURNAMES,
)
from lanshou.demo.waybills import waybill
from lanshou.demo.world import LOCAL_OFFSET, World

HOUR = 3600
DAY = 86400
_EPOCH_DATE = date(1970, 1, 1)
ORDER_COLUMNS = (
    "id",
    "shop_id",
    "external_id",
    "status",
    "paid_at",
    "amount_fen",
    "quantity",
    "buyer_province",
    "buyer_city",
    "buyer_phone_tail",
    "exp_ship_time",
    "created_at",
    "updated_at",
)
ITEM_COLUMNS = ("id", "order_id", "sku", "title", "unit_price_fen", "quantity")
SHIPMENT_COLUMNS = (
    "id",
    "order_id",
    "key",
    "carrier_id",
    "outlet_id",
    "courier_id",
    "waybill_no",
    "shipped_at",
    "picked_up_at",
    "shipping_limit_at",
    "status",
    "last_event_at",
    "feed_stalled",
    "amount_fen",
    "max_unit_price_fen",
)
EVENT_COLUMNS = (
    "id",
    "shipment_id",
    "carrier_code",
    "waybill_no",
    "status",
    "event_time",
    "received_at",
    "location",
    "description",
    "source",
    "dedup_key",
    "raw",
)

LATE_MARKING_P = 0.025  # merchants who mark more than 48 h after payment
NEVER_PICKED_UP_P = 0.005  # waybills no courier ever scans (looks like fake shipping)
ITEM_COUNT_CUM = (0.72, 0.92, 1.0)
QUANTITY_CUM = (0.85, 0.97, 1.0)


@dataclass
class Chunk:
    orders: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    shipments: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


@dataclass
class Tally:
    not_shipped: int = 0
    awaiting_pickup: int = 0
    awaiting_pickup_over_24h: int = 0
    picked_up_after_24h: int = 0
    delivered: int = 0


def _cumulative(weights: list[float]) -> tuple[list[float], float]:
    cum = list(accumulate(weights))
    return cum, cum[-1]


def _push_into_hours(ts: int, opens: int, closes: int, rng: random.Random, spread: float) -> int:
    """Move a time outside local working hours [opens, closes) to the next opening plus a bit."""
    local = (ts + LOCAL_OFFSET) % DAY
    if local < opens:
        return ts - local + opens + int(rng.random() * spread)
    if local >= closes:
        return ts - local + DAY + opens + int(rng.random() * spread)
    return ts


class OrderFactory:
    """Turns sorted payment times into rows; holds ids, caches and the running tally."""

    def __init__(
        self,
        world: World,
        rng: random.Random,
        times: TimeText,
        *,
        now_ts: int,
        first_ids: dict[str, int],
        holidays: set[int],
    ) -> None:
        self.w, self.rng, self.t, self.now = world, rng, times, now_ts
        self.ids = dict(first_ids)
        self.holidays = holidays
        self.tally = Tally()
        self.shop_cum, self.shop_total = _cumulative([s.weight for s in SHOPS])
        self.dest_cum, self.dest_total = _cumulative([d.weight for d in DESTINATIONS])
        self.product_cums = [_cumulative([p.weight for p in s.products]) for s in SHOPS]
        self.outlet_cums = [_cumulative([w for _i, w in c]) for c in world.shop_outlets]
        self.outlet_texts = [
            (
                f"{c}市",
                f"【{c}市】{o.carrier.name_zh} 已下单，等待快递员上门揽收",
                f"【{c}市】快件离开【{o.short}】，已发往【{c}转运中心】",
            )
            for o in world.outlets
            for c in (o.city.city,)
        ]
        self._day_text: dict[int, str] = {}
        self._hub_text: dict[str, str] = {}
        self._delivered_text: dict[tuple[str, str], str] = {}
        self._ofd_texts: dict[str, list[str]] = {}

    # --- cached descriptions -------------------------------------------------------------------
    def _yymmdd(self, ts: int) -> str:
        """The local (Beijing) date of ``ts`` as YYMMDD, from that date itself.

        ``day * DAY`` read as UTC is midnight of the local date's *number*, which is not an
        instant the seed renders (for an order paid after local midnight it lies after ``now``),
        so the date is formatted directly rather than through the time table.
        """
        day = (ts + LOCAL_OFFSET) // DAY
        text = self._day_text.get(day)
        if text is None:
            text = self._day_text[day] = (_EPOCH_DATE + timedelta(days=day)).strftime("%y%m%d")
        return text

    def _ofd(self, city: str) -> str:
        pool = self._ofd_texts.get(city)
        if pool is None:
            rng = random.Random(f"ofd:{city}")  # own stream: caching must not shift the main one
            pool = [
                f"【{city}市】快件正在派送中，派件员：{rng.choice(SURNAMES)}"
                f"{rng.choice(GIVEN_NAMES)}，电话：{rng.choice(MOBILE_PREFIXES)}"
                f"{rng.randrange(10**8):08d}，请保持电话畅通"
                for _ in range(4)
            ]
            self._ofd_texts[city] = pool
        return pool[int(self.rng.random() * len(pool))]

    def _hub(self, city: str) -> str:
        text = self._hub_text.get(city)
        if text is None:
            text = self._hub_text[city] = f"【{city}市】快件已到达【{city}转运中心】"
        return text

    def _signed(self, carrier: str, city: str) -> str:
        text = self._delivered_text.get((carrier, city))
        if text is None:
            where = ("本人签收", "家门口", "菜鸟驿站", "快递柜")[len(self._delivered_text) % 4]
            text = f"【{city}市】快件已签收，签收人：{where}。感谢使用{carrier}，期待再次为您服务"
            self._delivered_text[(carrier, city)] = text
        return text

    # --- the loop ------------------------------------------------------------------------------
    def make(self, paid_times: list[int], first_index: int) -> Chunk:
        chunk = Chunk()
        for offset, paid in enumerate(paid_times):
            self._order(chunk, first_index + offset, paid)
        return chunk

    def _order(self, chunk: Chunk, seq: int, paid: int) -> None:
        rng, now, ids = self.rng, self.now, self.ids
        random_ = rng.random
        s = bisect(self.shop_cum, random_() * self.shop_total)
        shop = SHOPS[s]
        dest = DESTINATIONS[bisect(self.dest_cum, random_() * self.dest_total)]
        city = dest.cities[int(random_() * len(dest.cities))]
        order_id = ids["orders"] + seq

        cum, total = self.product_cums[s]
        n_items = bisect(ITEM_COUNT_CUM, random_()) + 1
        chosen: list[int] = []
        while len(chosen) < n_items:
            p = bisect(cum, random_() * total)
            if p not in chosen:
                chosen.append(p)
        amount = quantity = max_unit = 0
        for p in chosen:
            product = shop.products[p]
            qty = bisect(QUANTITY_CUM, random_()) + 1
            chunk.items.append(
                (ids["order_items"], order_id, product.sku, product.title, product.price_fen, qty)
            )
            ids["order_items"] += 1
            amount += product.price_fen * qty
            quantity += qty
            max_unit = max(max_unit, product.price_fen)

        if random_() < LATE_MARKING_P:
            mark = paid + int((49 + random_() * 40) * HOUR)
        else:
            mark = paid + int(exp(9.6 + 0.8 * rng.gauss()))  # median ≈ 4 h
        mark = _push_into_hours(mark, 9 * HOUR, 23 * HOUR, rng, 2 * HOUR)

        ship_id = ids["shipments"] + seq
        paid_text = self.t.db(paid)
        if mark > now:
            self.tally.not_shipped += 1
            chunk.shipments.append(
                (
                    ship_id,
                    order_id,
                    "1",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "created",
                    None,
                    False,
                    amount,
                    max_unit,
                )
            )
            status, updated = "paid", paid
        else:
            status, updated = self._ship(
                chunk,
                seq,
                s,
                ship_id,
                mark,
                dest.province,
                city,
                dest.transit_hours,
                amount,
                max_unit,
            )
        if shop.platform == "pinduoduo":
            external = f"{self._yymmdd(paid)}-{seq:09d}{int(random_() * 10**6):06d}"
        else:
            external = f"69{self._yymmdd(paid)}{seq:07d}{int(random_() * 10**4):04d}"
        # The shipment key is the order number, as in imports and `lanshou check`: fines under
        # the caps are allocated in deadline order with the key breaking ties.
        ship = chunk.shipments[-1]
        chunk.shipments[-1] = (*ship[:2], external, *ship[3:])
        created = self.t.db(paid - 30 - int(random_() * 300))
        chunk.orders.append(
            (
                order_id,
                self.w.shop_ids[s],
                external,
                status,
                paid_text,
                amount,
                quantity,
                dest.province,
                city,
                phone_tail(order_id),
                None,
                created,
                self.t.db(updated),
            )
        )

    def _pickup(self, outlet_index: int, mark: int) -> int | None:
        rng = self.rng
        o = self.w.outlets[outlet_index]
        if rng.random() < o.tail_p:
            latency = min(o.tail_scale * rng.paretovariate(1.4), 12 * DAY)
        else:
            latency = exp(o.mu + o.sigma * rng.gauss())
        day = (mark + LOCAL_OFFSET) // DAY
        if day in self.holidays:
            latency *= 1.6
        elif (day + 3) % 7 >= 5:  # Saturday, Sunday (1970-01-01 was a Thursday)
            latency *= 1.3
        pick = _push_into_hours(mark + int(latency), 8 * HOUR, 21 * HOUR, rng, 1.5 * HOUR)
        outages = self.w.outages
        while (outlet_index, (pick + LOCAL_OFFSET) // DAY) in outages:
            next_day = (pick + LOCAL_OFFSET) // DAY + 1
            pick = next_day * DAY - LOCAL_OFFSET + 8 * HOUR + int(rng.expovariate(1 / (2 * HOUR)))
        if rng.random() < NEVER_PICKED_UP_P:
            return None
        return pick

    def _ship(
        self,
        chunk: Chunk,
        seq: int,
        s: int,
        ship_id: int,
        mark: int,
        province: str,
        city: str,
        transit: float,
        amount: int,
        max_unit: int,
    ) -> tuple[str, int]:
        rng, now, tally = self.rng, self.now, self.tally
        cum, total = self.outlet_cums[s]
        outlet_index = self.w.shop_outlets[s][bisect(cum, rng.random() * total)][0]
        o = self.w.outlets[outlet_index]
        courier = o.couriers[int(rng.random() * len(o.couriers))]
        carrier = o.carrier
        wb = waybill(carrier.code, seq, rng)
        origin_loc, awaiting_text, leave_text = self.outlet_texts[outlet_index]
        plan: list[tuple[str, int, str, str]] = [
            ("awaiting_pickup", mark, origin_loc, awaiting_text),
        ]
        pick = self._pickup(outlet_index, mark)
        if pick is not None:
            plan.append(("picked_up", pick, origin_loc, courier.pickup_description))
            leave = pick + HOUR + int(rng.random() * 3 * HOUR)
            plan.append(("in_transit", leave, origin_loc, leave_text))
            if pick < now:  # the rest is in the future otherwise: skip the draws' cost
                hours = SAME_PROVINCE_TRANSIT_HOURS if province == o.city.province else transit
                arrive = max(pick + int(hours * HOUR * exp(0.25 * rng.gauss())), leave + HOUR)
                loc = city + "市"
                plan.append(("in_transit", arrive, loc, self._hub(city)))
                ofd = _push_into_hours(arrive + 2 * HOUR, 8 * HOUR, 18 * HOUR, rng, 2 * HOUR)
                plan.append(("out_for_delivery", ofd, loc, self._ofd(city)))
                plan.append(
                    (
                        "delivered",
                        ofd + 1800 + int(rng.random() * 5 * HOUR),
                        loc,
                        self._signed(carrier.name_zh, city),
                    )
                )

        t = self.t
        db_prefix, iso_prefix, base, tail = t.db_prefix, t.iso_prefix, t.base, t.tail
        sha256, events = hashlib.sha256, chunk.events
        event_id = self.ids["tracking_events"]
        status, last, picked_text = "awaiting_pickup", mark, None
        for ev_status, ts, location, text in plan:
            if ts > now:
                break
            minute, second = ts // 60 - base, ts % 60
            db_time = f"{db_prefix[minute]}{second:02d}{tail}"
            key = sha256(
                f"{wb}|{ev_status}|{iso_prefix[minute]}{second:02d}+00:00|{text}".encode()
            ).hexdigest()
            received = min(ts + 20 + int(rng.random() * 600), now)
            events.append(
                (
                    event_id,
                    ship_id,
                    carrier.code,
                    wb,
                    ev_status,
                    db_time,
                    f"{db_prefix[received // 60 - base]}{received % 60:02d}{tail}",
                    location,
                    text,
                    "demo",
                    key,
                    None,
                )
            )
            event_id += 1
            status, last = ev_status, ts
            if ev_status == "picked_up":
                picked_text = db_time
        self.ids["tracking_events"] = event_id
        if picked_text is None:
            tally.awaiting_pickup += 1
            if now - mark > DAY:
                tally.awaiting_pickup_over_24h += 1
        elif pick is not None and pick - mark > DAY:
            tally.picked_up_after_24h += 1
        if status == "delivered":
            tally.delivered += 1
        chunk.shipments.append(
            (
                ship_id,
                self.ids["orders"] + seq,
                "1",
                o.carrier_id,
                o.id,
                courier.id,
                wb,
                self.t.db(mark),
                picked_text,
                None,
                status,
                self.t.db(last),
                False,
                amount,
                max_unit,
            )
        )
        order_status = {"delivered": "completed"}.get(status, "shipped")
        return order_status, last


def phone_tail(order_id: int) -> str:
    """The buyer's phone tail (尾号) of a demo order: derived from its id, not drawn from the
    random stream, so adding it left every other generated value as it was. Drawn from 2,000
    tails, so a few hundred orders share some, as real callers' tails do."""
    digest = hashlib.sha256(f"phone:{order_id}".encode()).digest()
    return f"{8000 + int.from_bytes(digest[:4]) % 2000:04d}"
