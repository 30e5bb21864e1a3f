"""The DuckDB batch path and the pure path give identical verdicts and money."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanshou.batch.engine import evaluate_batch, evaluated_count
from lanshou.batch.result import summarise
from lanshou.domain.rules import (
    Exemption,
    FineCandidate,
    ShipmentFacts,
    allocate_fines,
    calendar_for,
    evaluate_shipment,
    load_profile,
)
from lanshou.domain.rules.loader import parse_profile

SH = ZoneInfo("Asia/Shanghai")
PROV = '{source: "test", as_of: 2026-01-01}'
WORKING = parse_profile(
    f"""
name: synthetic
timezone: Asia/Shanghai
provenance: {PROV}
pickup_statuses: [picked_up]
exemptions:
  - {{id: far, provinces: [新疆], extra_hours: 24, provenance: {PROV}}}
  - {{id: out, provinces: [香港], exclude: true, provenance: {PROV}}}
rules:
  - id: ship_timeout
    label_zh: 发货超时
    label_en: Late shipment
    provenance: {PROV}
    start: paid_at
    duration: {{hours: 2, unit: working_days}}
    overrides:
      - {{from: 2026-09-28, to: 2026-10-02, duration: {{hours: 10, unit: working_hours}},
          provenance: {PROV}}}
    satisfied_by: shipped_at
    consequences:
      compensation:
        base: amount
        provenance: {PROV}
        tiers: [{{below: "10.00", fixed: "1.00"}}, {{percent: 2.5, min: "1.50", max: "40.00"}}]
      fine: {{amount: "7.50", max_per_order: 1, max_per_shop_per_day: "30.00", provenance: {PROV}}}
  - id: pickup_timeout
    label_zh: 揽收超时
    label_en: Pickup timeout
    provenance: {PROV}
    start: shipped_at
    duration:
      hours: 6
      unit: working_hours
      working_windows: {{default: ["09:00-12:00", "13:30-18:00"], sat: ["10:00-12:00"]}}
    satisfied_by: first_pickup
    consequences:
      fine: {{amount: "7.50", max_per_order: 1, max_per_shop_per_day: "30.00", provenance: {PROV}}}
      auto_refund_after_hours: 48
      auto_refund_provenance: {PROV}
""",
    "synthetic.yaml",
)
EXEMPTIONS = [
    Exemption(
        "storm",
        "platform_event",
        dt.datetime(2026, 2, 18, tzinfo=SH),
        dt.datetime(2026, 2, 19, 12, tzinfo=SH),
        mode="extend",
        provinces=frozenset({"浙江"}),
        carriers=frozenset({"zto"}),
    ),
    Exemption(
        "fm",
        "force_majeure",
        dt.datetime(2026, 10, 5, tzinfo=SH),
        dt.datetime(2026, 10, 6, tzinfo=SH),
        shop_ids=frozenset({"shop1"}),
    ),
]
BASE = dt.datetime(2026, 2, 12, tzinfo=SH)
# Around Spring Festival 2026 and National Day 2026 (with their make-up workdays).
ANCHORS = [dt.datetime(2026, 2, 12, tzinfo=SH), dt.datetime(2026, 9, 26, tzinfo=SH)]
PRICES = [
    "0.00",
    "2.99",
    "3.00",
    "3.01",
    "9.99",
    "10.00",
    "299.99",
    "300.00",
    "300.01",
    "1234.56",
    "2999.99",
    "3000.00",
    "3001.00",
]


@st.composite
def shipment(draw: st.DrawFn, i: int) -> ShipmentFacts:
    anchor = draw(st.sampled_from(ANCHORS))
    minute = st.integers(0, 20 * 24 * 60)
    paid = anchor + dt.timedelta(minutes=draw(minute))
    shipped = None
    if draw(st.booleans()):
        shipped = paid + dt.timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
    pickup = None
    if shipped is not None and draw(st.booleans()):
        pickup = shipped + dt.timedelta(minutes=draw(st.integers(0, 5 * 24 * 60)))
    exp = paid + dt.timedelta(hours=draw(st.integers(1, 96))) if draw(st.booleans()) else None
    if draw(st.integers(0, 5)) == 0:
        exp = None
    unit = draw(st.sampled_from([None, *PRICES]))
    # An order belongs to one shop (the database passes its own order ids): shared orders
    # (several shipments) are O0-O8, O<n> of shop1 or shop2 by parity.
    shared = draw(st.integers(0, 8)) if draw(st.booleans()) else None
    shop = draw(st.sampled_from(["shop1", "shop2"])) if shared is None else f"shop{shared % 2 + 1}"
    return ShipmentFacts(
        shipment_key=f"K{i:03}",
        order_id=f"O{shared}" if shared is not None else f"U{i}",
        shop_id=shop,
        paid_at=paid,
        amount=Decimal(draw(st.sampled_from(PRICES))),
        shipped_at=shipped,
        exp_ship_time=exp if draw(st.booleans()) else None,
        first_pickup_at=pickup,
        quantity=draw(st.integers(1, 4)),
        max_unit_price=Decimal(unit) if unit is not None else None,
        province=draw(st.sampled_from([None, "浙江省", "新疆", "香港", "广东"])),
        carrier_code=draw(st.sampled_from([None, "zto", "ZTO", "sf"])),
        order_status=draw(st.sampled_from([None, "paid", "cancelled"])),
    )


@st.composite
def batches(draw: st.DrawFn) -> list[ShipmentFacts]:
    n = draw(st.integers(1, 70))
    return [draw(shipment(i)) for i in range(n)]


def _python_path(facts: list[ShipmentFacts], profile, now):  # type: ignore[no-untyped-def]
    cal = calendar_for(profile)
    outcomes = [o for f in facts for o in evaluate_shipment(f, profile, cal, EXEMPTIONS, now)]
    fines = allocate_fines(
        [
            FineCandidate(o.shipment_key, o.rule_id, o.order_id, o.shop_id, o.deadline)
            for o in outcomes
            if o.is_violation and o.deadline is not None
        ],
        profile,
    )
    return sorted(
        (
            o.shipment_key,
            o.rule_id,
            o.started_at,
            o.deadline,
            o.satisfied_at,
            o.late,
            o.exempt,
            o.exemption_id,
            o.compensation,
            fines.get((o.shipment_key, o.rule_id), Decimal("0.00")),
            o.auto_refund,
        )
        for o in outcomes
    )


def _batch_path(facts: list[ShipmentFacts], profile, now):  # type: ignore[no-untyped-def]
    con = _facts_table(facts)
    rel = evaluate_batch(con, "s", profile, calendar_for(profile), EXEMPTIONS, now)
    rows = rel.project(
        "shipment_key, rule, started_at, deadline, satisfied_at, late, exempt, exemption_id,"
        " compensation, fine, auto_refund"
    ).fetchall()
    return sorted(rows)


def _facts_table(facts: list[ShipmentFacts]) -> duckdb.DuckDBPyConnection:
    """A connection holding `facts` as table `s`."""
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE s (shipment_key VARCHAR, order_id VARCHAR, shop_id VARCHAR,
        paid_at TIMESTAMPTZ, shipped_at TIMESTAMPTZ, exp_ship_time TIMESTAMPTZ,
        first_pickup_at TIMESTAMPTZ, amount DECIMAL(18,2), quantity INTEGER,
        max_unit_price DECIMAL(18,2), province VARCHAR, carrier_code VARCHAR,
        order_status VARCHAR)"""
    )
    con.executemany(
        "INSERT INTO s VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            [
                f.shipment_key,
                f.order_id,
                f.shop_id,
                f.paid_at,
                f.shipped_at,
                f.exp_ship_time,
                f.first_pickup_at,
                f.amount,
                f.quantity,
                f.max_unit_price,
                f.province,
                f.carrier_code,
                f.order_status,
            ]
            for f in facts
        ],
    )
    return con


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=batches(), now_offset=st.integers(0, 40 * 24))
def test_douyin_paths_agree(facts: list[ShipmentFacts], now_offset: int) -> None:
    now = BASE + dt.timedelta(hours=now_offset)
    profile = load_profile("douyin")
    assert _batch_path(facts, profile, now) == _python_path(facts, profile, now)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=batches(), now_offset=st.integers(0, 260 * 24))
def test_working_hours_profile_paths_agree(facts: list[ShipmentFacts], now_offset: int) -> None:
    now = BASE + dt.timedelta(hours=now_offset)
    assert _batch_path(facts, WORKING, now) == _python_path(facts, WORKING, now)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=batches(), now_offset=st.integers(0, 40 * 24))
def test_late_and_open_outcomes_alone_give_the_same_summary(
    facts: list[ShipmentFacts], now_offset: int
) -> None:
    """`lanshou check` keeps only the late and the open outcomes: its summary (evaluated, open,
    counts and money) and its violations are those of the table of every outcome."""
    now = BASE + dt.timedelta(hours=now_offset)
    profile = load_profile("douyin")
    rule_ids = [r.id for r in profile.rules]
    con = _facts_table(facts)
    cal = calendar_for(profile)
    evaluate_batch(con, "s", profile, cal, EXEMPTIONS, now, "every")
    full = summarise(con, "every", rule_ids, now)
    evaluate_batch(con, "s", profile, cal, EXEMPTIONS, now, "kept", late_only=True, with_open=True)
    kept = summarise(con, "kept", rule_ids, now, evaluated_count(con, profile, "kept"))
    assert kept == full
    late = "SELECT * FROM {} WHERE late ORDER BY ALL"
    assert (
        con.execute(late.format("kept")).fetchall() == con.execute(late.format("every")).fetchall()
    )
    not_late = con.execute("SELECT count(*) FROM kept WHERE NOT late").fetchone()
    assert not_late is not None and not_late[0] <= full.open * len(rule_ids)


def test_douyin_shop_day_cap_in_batch() -> None:
    paid = dt.datetime(2026, 3, 2, 8, tzinfo=SH)
    facts = [
        ShipmentFacts(
            f"K{i:03}",
            f"O{i:03}",
            "shop",
            paid,
            Decimal("50.00"),
            shipped_at=paid + dt.timedelta(hours=1),
        )
        for i in range(60)
    ]
    now = dt.datetime(2026, 3, 4, tzinfo=SH)
    rows = _batch_path(facts, load_profile("douyin"), now)
    assert sum(r[9] for r in rows) == Decimal("500.00")
    assert rows == _python_path(facts, load_profile("douyin"), now)


def test_batch_reads_parquet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paid = dt.datetime(2026, 3, 2, 8, tzinfo=SH)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE s AS SELECT 'K1' AS shipment_key, 'O1' AS order_id, 'shop' AS shop_id,"
        " ?::TIMESTAMPTZ AS paid_at, NULL::TIMESTAMPTZ AS shipped_at,"
        " 12.5::DECIMAL(18,2) AS amount",
        [paid],
    )
    path = tmp_path / "s.parquet"
    con.execute(f"COPY s TO '{path}' (FORMAT parquet)")
    rel = evaluate_batch(
        con,
        f"read_parquet('{path}')",
        load_profile("douyin"),
        calendar_for(load_profile("douyin")),
        [],
        paid + dt.timedelta(days=3),
    )
    assert rel.project("rule, late, compensation, fine").order("rule").fetchall() == [
        ("pickup_timeout", False, Decimal("0.00"), Decimal("0.00")),
        ("ship_timeout", True, Decimal("3.00"), Decimal("10.00")),
    ]
