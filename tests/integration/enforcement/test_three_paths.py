"""One rule code, three paths: the DuckDB batch, the event-driven DB path and the sweep agree.

Hypothesis draws small douyin histories (Spring Festival, National Day and ordinary weeks; unit
prices on the compensation tier edges; shipments marked or not; pickup scans around the 24 h
deadline and the 72 h auto-refund edge, exactly on them too) and a `now`. The final violations
and their money must be identical whether computed

  (a) by `evaluate_batch` over a DuckDB table of the facts,
  (b) by inserting the orders, marking shipments and feeding tracking events one at a time
      through `record_events` as they arrive (with a few sweeps in between), then `run_sweep`,
  (c) by inserting everything at once, `evaluate_all` before anything happened, then `run_sweep`.

The pure path (`evaluate_shipment` + `allocate_fines`) is checked too, to localise a failure.
Some examples use a douyin override with a lower shop-day cap and one fine per order, so the
caps bite with a dozen orders.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models import (
    Base,
    Carrier,
    LedgerEntry,
    Order,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
    Violation,
)
from lanshou.batch.engine import evaluate_batch
from lanshou.domain.money import from_fen
from lanshou.domain.rules import calendar_for, load_profile
from lanshou.domain.rules.consequences import FineCandidate, allocate_fines
from lanshou.domain.rules.evaluate import ShipmentFacts, evaluate_shipment
from lanshou.domain.tracking import PICKUP_PROVING, TrackingUpdate
from lanshou.enforcement.evaluation import evaluate_shipments
from lanshou.enforcement.rules_context import RulesContext
from lanshou.enforcement.sweep import evaluate_all, run_sweep
from lanshou.enforcement.tracking import attach_orphan_events, record_events, refresh_shipments
from lanshou.settings import load_settings

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = load_settings(env="test", secret_key="x" * 32)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
US = dt.timedelta(microseconds=1)
PRICES = [
    "0.01",
    "2.99",
    "3.00",
    "3.01",
    "50.00",
    "299.99",
    "300.00",
    "300.01",
    "3000.00",
    "3001.00",
    "9999.99",
]
# Paid-at windows: Spring Festival 2026 (overrides 2/16–2/24), National Day, an ordinary week.
PERIODS = [
    dt.datetime(2026, 2, 13, tzinfo=SH),
    dt.datetime(2026, 9, 28, tzinfo=SH),
    dt.datetime(2026, 11, 9, tzinfo=SH),
]
EDGES = [
    dt.datetime(2026, 2, 16, tzinfo=SH),
    dt.datetime(2026, 2, 16, tzinfo=SH) - US,
    dt.datetime(2026, 2, 20, 23, 59, tzinfo=SH),
    dt.datetime(2026, 2, 21, tzinfo=SH),
    dt.datetime(2026, 2, 24, 23, 59, 59, tzinfo=SH),
    dt.datetime(2026, 2, 25, tzinfo=SH),
    dt.datetime(2026, 10, 1, tzinfo=SH),
    dt.datetime(2026, 11, 9, 23, 30, tzinfo=SH),
]
KEY_CHARS = "aAbB09-_"
VIOLATION_STATES = ("open", "confirmed", "exempt")
Row = tuple[str, str, dt.datetime, dt.datetime | None, bool]  # key, rule, deadline, sat, exempt
Money = dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]  # comp, fine, refund


@dataclass
class Ev:
    status: str
    at: dt.datetime
    arrives: dt.datetime


@dataclass
class Hist:
    key: str
    ext: str
    shop: int
    paid: dt.datetime
    amount_fen: int
    quantity: int
    max_unit_fen: int | None
    shipped: dt.datetime | None
    events: list[Ev] = field(default_factory=list)

    @property
    def waybill(self) -> str:
        return f"WB{self.ext}"

    def first_pickup(self) -> dt.datetime | None:
        times = [e.at for e in self.events if e.status in PICKUP_PROVING]
        return min(times) if times else None

    def facts(self) -> ShipmentFacts:
        return ShipmentFacts(
            shipment_key=self.key,
            order_id=self.ext,
            shop_id=str(self.shop),
            paid_at=self.paid,
            amount=from_fen(self.amount_fen),
            shipped_at=self.shipped,
            first_pickup_at=self.first_pickup(),
            quantity=self.quantity,
            max_unit_price=from_fen(self.max_unit_fen) if self.max_unit_fen is not None else None,
        )


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RulesContext]:
    """The built-in douyin profile, and douyin with a ¥25 shop-day cap and 1 fine per order."""
    src = load_profile("douyin")
    assert src.fine_caps() == (2, Decimal("500.00"))
    text = Path(str(_builtin_douyin())).read_text(encoding="utf-8")
    tight = text.replace('max_per_shop_per_day: "500.00"', 'max_per_shop_per_day: "25.00"')
    tight = tight.replace("max_per_order: 2", "max_per_order: 1")
    d = tmp_path_factory.mktemp("rules-tight")
    (d / "douyin.yaml").write_text(tight, encoding="utf-8")
    assert load_profile("douyin", (d,)).fine_caps() == (1, Decimal("25.00"))
    return {"builtin": RulesContext(), "tight": RulesContext(rules_dirs=(d,))}


def _builtin_douyin() -> object:
    from importlib import resources

    return resources.files("lanshou.rules").joinpath("douyin.yaml")


# ---------------------------------------------------------------- drawing a history


def _draw(
    data: st.DataObject, ctx: RulesContext
) -> tuple[list[Hist], dt.datetime, list[dt.datetime]]:
    profile = ctx.profile("douyin")
    cal = ctx.calendar(profile)
    period = data.draw(st.sampled_from(PERIODS), label="period")
    n = data.draw(st.integers(1, 12), label="orders")
    keys = data.draw(
        st.lists(st.text(KEY_CHARS, min_size=1, max_size=3), min_size=n, max_size=n, unique=True),
        label="keys",
    )
    hists: list[Hist] = []
    for i, key in enumerate(keys):
        # Whole hours over ten days make equal deadlines (tie-breaks) likely; edges now and then.
        paid = data.draw(
            st.one_of(
                st.integers(0, 240).map(lambda h, p=period: p + h * HOUR),
                st.sampled_from(EDGES),
            )
        )
        price = Decimal(data.draw(st.sampled_from(PRICES)))
        qty = data.draw(st.sampled_from([1, 1, 2, 3]))
        if qty == 1:
            amount_fen, max_unit = int(price * 100), int(price * 100)
        else:  # no item data: unit price = amount ÷ quantity, rounded half up
            amount_fen, max_unit = int(price * 100) * qty + data.draw(st.integers(-1, 1)), None
            amount_fen = max(amount_fen, 1)
        facts = ShipmentFacts(key, f"O{i:02d}", "1", paid, from_fen(amount_fen))
        ship_deadline = evaluate_shipment(facts, profile, cal, [], paid)[0].deadline
        assert ship_deadline is not None
        shipped = None
        if data.draw(st.booleans()):
            off = data.draw(
                st.one_of(
                    st.sampled_from([0, 0, -1, 1]).map(lambda m: m * MIN),
                    st.just(US),
                    st.integers(-48 * 60, 60 * 60).map(lambda m: m * MIN),
                )
            )
            shipped = max(paid + MIN, ship_deadline + off)
        h = Hist(
            key,
            f"O{i:02d}",
            data.draw(st.sampled_from([1, 2])),
            paid,
            amount_fen,
            qty,
            max_unit,
            shipped,
        )
        if shipped is not None:
            due = shipped + 24 * HOUR
            if data.draw(st.booleans()):
                h.events.append(Ev("exception", shipped + data.draw(st.integers(1, 30)) * MIN, due))
            if data.draw(st.integers(0, 3)) > 0:
                off = data.draw(
                    st.one_of(
                        st.sampled_from([0, 0, -1, 1, 72 * 60, 72 * 60, 72 * 60 + 1]).map(
                            lambda m: m * MIN
                        ),
                        st.just(US),
                        st.just(72 * HOUR + US),
                        st.integers(-24 * 60, 110 * 60).map(lambda m: m * MIN),
                    )
                )
                first = max(shipped, due + off)
                status = data.draw(st.sampled_from(["picked_up", "picked_up", "in_transit"]))
                h.events.append(Ev(status, first, due))
                if data.draw(st.booleans()):
                    h.events.append(
                        Ev("in_transit", first + data.draw(st.integers(0, 20)) * HOUR, due)
                    )
                if data.draw(st.booleans()):  # a later-reported earlier scan
                    h.events.append(
                        Ev("picked_up", first - data.draw(st.integers(0, 30)) * HOUR, due)
                    )
        hists.append(h)
    # now: anywhere in the period, or exactly on / just after a deadline or refund instant.
    specials = []
    for h in hists:
        outs = evaluate_shipment(h.facts(), profile, cal, [], h.paid)
        specials += [o.deadline for o in outs if o.deadline is not None]
        specials += [o.deadline + 72 * HOUR for o in outs if o.deadline is not None]
    now = data.draw(
        st.one_of(
            st.integers(0, 20 * 24 * 60).map(lambda m: period + m * MIN),
            st.tuples(st.sampled_from(specials), st.sampled_from([dt.timedelta(0), US, MIN])).map(
                lambda t: t[0] + t[1]
            ),
        ),
        label="now",
    )
    now = max(now, max(h.paid for h in hists))  # every order exists by now
    # Nothing after now has happened; events arrive after they happen, never after now.
    for h in hists:
        if h.shipped is not None and h.shipped > now:
            h.shipped, h.events = None, []
        seen: set[tuple[str, dt.datetime]] = set()
        kept = []
        for e in h.events:
            if e.at <= now and e.at >= (h.shipped or e.at) and (e.status, e.at) not in seen:
                seen.add((e.status, e.at))
                kept.append(e)
        h.events = kept
        for e in h.events:
            lag = data.draw(st.sampled_from([0, 0, 5, 180, 1800, 6000])) * MIN
            e.arrives = min(now, e.at + lag)
    sweeps = data.draw(
        st.lists(st.integers(0, 20 * 24 * 60).map(lambda m: period + m * MIN), max_size=3),
        label="sweeps",
    )
    return hists, now, [s for s in sweeps if s <= now]


# ---------------------------------------------------------------- the paths


def _pure(hists: list[Hist], ctx: RulesContext, now: dt.datetime) -> tuple[set[Row], Money]:
    profile = ctx.profile("douyin")
    cal = ctx.calendar(profile)
    outs = [o for h in hists for o in evaluate_shipment(h.facts(), profile, cal, [], now) if o.late]
    fines = allocate_fines(
        [
            FineCandidate(o.shipment_key, o.rule_id, o.order_id, o.shop_id, o.deadline)
            for o in outs
            if o.is_violation and o.deadline is not None
        ],
        profile,
    )
    rows = {(o.shipment_key, o.rule_id, o.deadline, o.satisfied_at, o.exempt) for o in outs}
    money = {
        (o.shipment_key, o.rule_id): (
            o.compensation,
            fines.get((o.shipment_key, o.rule_id), Decimal("0.00")),
            o.auto_refund,
        )
        for o in outs
    }
    return rows, money  # type: ignore[return-value]


def _batch(hists: list[Hist], ctx: RulesContext, now: dt.datetime) -> tuple[set[Row], Money]:
    profile = ctx.profile("douyin")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            """CREATE TABLE ships (shipment_key VARCHAR, order_id VARCHAR, shop_id VARCHAR,
               paid_at TIMESTAMPTZ, shipped_at TIMESTAMPTZ, first_pickup_at TIMESTAMPTZ,
               amount DECIMAL(18,2), quantity INTEGER, max_unit_price DECIMAL(18,2))"""
        )
        con.executemany(
            "INSERT INTO ships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    f.shipment_key,
                    f.order_id,
                    f.shop_id,
                    f.paid_at,
                    f.shipped_at,
                    f.first_pickup_at,
                    f.amount,
                    f.quantity,
                    f.max_unit_price,
                ]
                for f in (h.facts() for h in hists)
            ],
        )
        evaluate_batch(con, "ships", profile, calendar_for(profile), [], now)
        res = con.execute(
            """SELECT shipment_key, rule, epoch_us(deadline), epoch_us(satisfied_at), exempt,
                      compensation, fine, auto_refund FROM lanshou_result WHERE late"""
        ).fetchall()
    finally:
        con.close()

    def ts(us: int | None) -> dt.datetime | None:
        return None if us is None else dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + us * US

    rows = {(k, r, ts(d), ts(s), bool(e)) for k, r, d, s, e, *_ in res}
    money = {(k, r): (Decimal(c), Decimal(f), Decimal(a)) for k, r, _d, _s, _e, c, f, a in res}
    return rows, money  # type: ignore[return-value]


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
        conn.execute(
            insert(Platform.__table__),
            [{"id": 1, "code": "douyin", "name": "抖音", "profile": "douyin"}],
        )
        conn.execute(
            insert(Shop.__table__),
            [{"id": i, "platform_id": 1, "code": f"shop-{i}", "name": f"店{i}"} for i in (1, 2)],
        )
        conn.execute(
            insert(Carrier.__table__),
            [{"id": 1, "code": "ZTO", "name_zh": "中通", "name_en": "ZTO", "aliases": []}],
        )


def _insert_orders(s: Session, hists: list[Hist], *, with_facts: bool) -> dict[str, int]:
    ids = {}
    for h in hists:
        o = Order(
            shop_id=h.shop,
            external_id=h.ext,
            status="paid",
            paid_at=h.paid,
            amount_fen=h.amount_fen,
            quantity=h.quantity,
            buyer_province="浙江",
            created_at=h.paid,
            updated_at=h.paid,
        )
        s.add(o)
        s.flush()
        shipped = with_facts and h.shipped is not None
        sh = Shipment(
            order_id=o.id,
            key=h.key,
            carrier_id=1 if shipped else None,
            waybill_no=h.waybill if shipped else None,
            shipped_at=h.shipped if shipped else None,
            status="awaiting_pickup" if shipped else "created",
            amount_fen=h.amount_fen,
            max_unit_price_fen=h.max_unit_fen,
        )
        s.add(sh)
        s.flush()
        ids[h.key] = sh.id
    return ids


def _update(h: Hist, e: Ev, dup: bool = False) -> TrackingUpdate:
    return TrackingUpdate(
        h.waybill, e.status, e.at, "test", carrier_code="ZTO", description="dup" if dup else None
    )


def _event_path(
    sessions: sessionmaker[Session],
    hists: list[Hist],
    ctx: RulesContext,
    now: dt.datetime,
    sweeps: list[dt.datetime],
    order: list[int],
) -> None:
    ids: dict[str, int] = {}
    # (time, phase, tiebreak, action): orders appear at payment, shipments are marked, scans
    # arrive (in a drawn order among equal arrival times), sweeps run in between.
    actions: list[tuple[dt.datetime, int, int, object]] = []
    for h in hists:
        actions.append((h.paid, 0, 0, ("order", h)))
        if h.shipped is not None:
            actions.append((h.shipped, 1, 0, ("ship", h)))
    events = [(h, e) for h in hists for e in h.events]
    for rank, j in enumerate(order[: len(events)]):
        h, e = events[j]
        actions.append((e.arrives, 2, rank, ("event", h, e)))
    actions += [(t, 3, 0, ("sweep",)) for t in sweeps]
    actions.sort(key=lambda a: (a[0], a[1], a[2]))
    for at, _phase, _rank, act in actions:
        kind = act[0]  # type: ignore[index]
        if kind == "sweep":
            run_sweep(sessions, at, SETTINGS, ctx=ctx)
            continue
        h = act[1]  # type: ignore[index]
        with unit_of_work(sessions) as s:
            if kind == "order":
                ids.update(_insert_orders(s, [h], with_facts=False))
                evaluate_shipments(s, [ids[h.key]], at, ctx)
            elif kind == "ship":
                s.execute(
                    update(Shipment)
                    .where(Shipment.id == ids[h.key])
                    .values(
                        shipped_at=h.shipped,
                        carrier_id=1,
                        waybill_no=h.waybill,
                        status="awaiting_pickup",
                    )
                )
                attach_orphan_events(s, ids[h.key], h.waybill)
                evaluate_shipments(s, [ids[h.key]], at, ctx)
            else:
                e = act[2]  # type: ignore[index]
                record_events(s, [_update(h, e)], at, ctx)
    with unit_of_work(sessions) as s:  # repeated pushes change nothing
        dup = record_events(s, [_update(h, e) for h in hists for e in h.events], now, ctx)
        assert dup.stored == 0
    run_sweep(sessions, now, SETTINGS, ctx=ctx)


def _sweep_path(
    sessions: sessionmaker[Session], hists: list[Hist], ctx: RulesContext, now: dt.datetime
) -> None:
    with unit_of_work(sessions) as s:
        ids = _insert_orders(s, hists, with_facts=True)
        rows = [
            {
                "shipment_id": ids[h.key],
                "carrier_code": "ZTO",
                "waybill_no": h.waybill,
                "status": e.status,
                "event_time": e.at,
                "received_at": e.arrives,
                "source": "test",
                "dedup_key": _update(h, e).dedup_key,
            }
            for h in hists
            for e in h.events
        ]
        if rows:
            s.execute(insert(TrackingEvent), rows)
        refresh_shipments(s, sorted(ids.values()))
    evaluate_all(sessions, _t0(hists), SETTINGS, ctx=ctx)
    run_sweep(sessions, now, SETTINGS, ctx=ctx)


def _t0(hists: list[Hist]) -> dt.datetime:
    return min(h.paid for h in hists) - HOUR


def _db_result(sessions: sessionmaker[Session]) -> tuple[set[Row], Money]:
    with sessions() as s:
        vs = s.execute(
            select(
                Violation.id,
                Shipment.key,
                Violation.rule_id,
                Violation.deadline,
                Violation.satisfied_at,
                Violation.state,
            )
            .join(Shipment, Shipment.id == Violation.shipment_id)
            .where(Violation.state.in_(VIOLATION_STATES))
        ).all()
        sums: dict[tuple[int, str], int] = defaultdict(int)
        for vid, kind, fen in s.execute(
            select(LedgerEntry.violation_id, LedgerEntry.kind, LedgerEntry.amount_fen)
        ):
            sums[(vid, kind)] += fen
    rows = {(k, r, d, sat, st_ == "exempt") for _, k, r, d, sat, st_ in vs}
    money = {
        (k, r): (
            from_fen(sums[(vid, "compensation")]),
            from_fen(sums[(vid, "fine")]),
            from_fen(sums[(vid, "refund")]),
        )
        for vid, k, r, *_ in vs
    }
    return rows, money


def _describe(hists: list[Hist], now: dt.datetime) -> str:
    lines = [f"now={now.astimezone(SH).isoformat()}"]
    for h in hists:
        evs = ", ".join(
            f"{e.status}@{e.at.astimezone(SH):%m-%d %H:%M:%S.%f}"
            f"(arr {e.arrives.astimezone(SH):%m-%d %H:%M})"
            for e in h.events
        )
        lines.append(
            f"  {h.key!r} {h.ext} shop{h.shop} paid {h.paid.astimezone(SH).isoformat()} "
            f"amount {from_fen(h.amount_fen)} x{h.quantity} unit {h.max_unit_fen} shipped "
            f"{h.shipped.astimezone(SH).isoformat() if h.shipped else None} [{evs}]"
        )
    return "\n".join(lines)


def _assert_same(
    name: str, got: tuple[set[Row], Money], want: tuple[set[Row], Money], story: str
) -> None:
    rows, money = got
    wrows, wmoney = want
    assert rows == wrows, (
        f"{name}: violations differ from batch\n only {name}: {sorted(rows - wrows)}\n"
        f" only batch: {sorted(wrows - rows)}\n{story}"
    )
    diff = {k: (money[k], wmoney[k]) for k in wmoney if money.get(k) != wmoney[k]}
    assert not diff, f"{name}: money (comp, fine, refund) vs batch differs: {diff}\n{story}"


@settings(
    # LANSHOU_HYPOTHESIS_EXAMPLES=500 for a deeper search than CI's.
    max_examples=int(os.environ.get("LANSHOU_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_batch_event_and_sweep_paths_agree(
    data: st.DataObject,
    db_engine: Engine,
    sessions: sessionmaker[Session],
    contexts: dict[str, RulesContext],
) -> None:
    ctx = contexts[data.draw(st.sampled_from(["builtin", "tight", "tight"]), label="profile")]
    hists, now, sweeps = _draw(data, ctx)
    n_events = sum(len(h.events) for h in hists)
    order = data.draw(st.permutations(range(n_events)), label="arrival order")
    story = _describe(hists, now)

    batch = _batch(hists, ctx, now)
    _assert_same("pure", _pure(hists, ctx, now), batch, story)

    _clear(db_engine)
    _event_path(sessions, [replace(h) for h in hists], ctx, now, sweeps, list(order))
    _assert_same("event path", _db_result(sessions), batch, story)

    _clear(db_engine)
    _sweep_path(sessions, hists, ctx, now)
    _assert_same("sweep path", _db_result(sessions), batch, story)


def test_refund_is_booked_when_a_known_late_scan_lies_after_the_refund_instant(
    db_engine: Engine,
    sessions: sessionmaker[Session],
    contexts: dict[str, RulesContext],
) -> None:
    """Minimal example: shipped 2/15 00:00 (pickup deadline 2/16 00:00, refund due 2/19 00:00),
    picked up 2/19 00:01; evaluated first at 2/12 23:00, swept at 2/19 01:00 → refund 0.01."""
    ctx = contexts["builtin"]
    h = Hist(
        "00",
        "O00",
        1,
        dt.datetime(2026, 2, 13, tzinfo=SH),
        1,
        1,
        1,
        dt.datetime(2026, 2, 15, tzinfo=SH),
    )
    h.events.append(
        Ev(
            "picked_up",
            dt.datetime(2026, 2, 19, 0, 1, tzinfo=SH),
            dt.datetime(2026, 2, 19, 0, 1, tzinfo=SH),
        )
    )
    now = dt.datetime(2026, 2, 19, 1, tzinfo=SH)
    _clear(db_engine)
    _sweep_path(sessions, [h], ctx, now)
    _, money = _db_result(sessions)
    assert money[("00", "pickup_timeout")] == (Decimal("0.00"), Decimal("10.00"), Decimal("0.01"))
