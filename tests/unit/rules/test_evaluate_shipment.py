"""Per-shipment verdicts for Douyin at the edges; exemptions; fine caps; auto refund."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lanshou.domain.rules import (
    Exemption,
    FineCandidate,
    RuleOutcome,
    ShipmentFacts,
    allocate_fines,
    allocate_points,
    calendar_for,
    evaluate_shipment,
    load_profile,
)

SH = ZoneInfo("Asia/Shanghai")
DOUYIN = load_profile("douyin")
CAL = calendar_for(DOUYIN)


def t(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]


def facts(**kw: object) -> ShipmentFacts:
    base: dict[str, object] = {
        "shipment_key": "S1",
        "order_id": "O1",
        "shop_id": "shop",
        "paid_at": t(2026, 3, 2, 10),
        "amount": Decimal("100.00"),
    }
    base.update(kw)
    return ShipmentFacts(**base)  # type: ignore[arg-type]


def judge(
    f: ShipmentFacts,
    now: dt.datetime,
    exemptions: list[Exemption] | None = None,
    profile: str = "douyin",
) -> dict[str, RuleOutcome]:
    p = load_profile(profile)
    return {o.rule_id: o for o in evaluate_shipment(f, p, calendar_for(p), exemptions or [], now)}


def test_shipped_exactly_at_deadline_is_on_time_one_microsecond_later_is_late() -> None:
    on = judge(facts(shipped_at=t(2026, 3, 4, 10)), t(2026, 3, 10))["ship_timeout"]
    assert (on.deadline, on.late, on.compensation) == (t(2026, 3, 4, 10), False, Decimal("0.00"))
    late = judge(facts(shipped_at=t(2026, 3, 4, 10, 0, 0, 1)), t(2026, 3, 10))["ship_timeout"]
    assert (late.late, late.compensation, late.fine_due) == (True, Decimal("3.00"), Decimal("10"))


def test_unsatisfied_is_late_only_after_the_deadline() -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12))
    assert judge(f, t(2026, 3, 3, 12))["pickup_timeout"].late is False
    assert judge(f, t(2026, 3, 3, 12, 0, 0, 1))["pickup_timeout"].late is True


def test_not_marked_shipped_means_pickup_rule_not_started() -> None:
    o = judge(facts(), t(2026, 3, 10))["pickup_timeout"]
    assert (o.started_at, o.deadline, o.late) == (None, None, False)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("3.00", "0.00"),
        ("3.01", "3.00"),
        ("299.99", "3.00"),
        ("300.00", "3.00"),
        ("3000.00", "30.00"),
        ("3001.00", "30.00"),
    ],
)
def test_pickup_timeout_compensation_on_unit_price(unit: str, expected: str) -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12), max_unit_price=Decimal(unit), amount=Decimal("9999"))
    assert judge(f, t(2026, 3, 4))["pickup_timeout"].compensation == Decimal(expected)


@pytest.mark.parametrize(
    ("amount", "quantity", "expected"),
    [
        ("9.01", 3, "3.00"),  # 3.0033…: above 3.00, though it rounds to 3.00
        ("9.00", 3, "0.00"),  # exactly 3.00
        ("8.99", 3, "0.00"),
        ("2001.00", 2, "10.01"),  # 1 % of 1000.50 = 10.005: only the money is rounded, half up
    ],
)
def test_the_tier_is_chosen_on_the_exact_unit_price(
    amount: str, quantity: int, expected: str
) -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12), amount=Decimal(amount), quantity=quantity)
    assert judge(f, t(2026, 3, 4))["pickup_timeout"].compensation == Decimal(expected)


def test_facts_after_now_leave_the_shipment_open() -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12), first_pickup_at=t(2026, 3, 3, 18))
    before = judge(f, t(2026, 3, 3, 11))["pickup_timeout"]  # the scan is 7 h in the future
    assert (before.deadline, before.satisfied_at, before.late) == (t(2026, 3, 3, 12), None, False)
    assert before.unseen_fact_at == t(2026, 3, 3, 18)
    after = judge(f, t(2026, 3, 3, 18))["pickup_timeout"]  # now it has happened: late
    assert (after.satisfied_at, after.late, after.unseen_fact_at) == (t(2026, 3, 3, 18), True, None)


def test_unit_price_from_amount_and_quantity_when_items_unknown() -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12), amount=Decimal("900.00"), quantity=3)
    assert judge(f, t(2026, 3, 4))["pickup_timeout"].compensation == Decimal("3.00")  # 300.00


@pytest.mark.parametrize(
    ("paid", "deadline"),
    [
        (t(2026, 2, 15, 23, 59), t(2026, 2, 17, 23, 59)),  # before the window: 48 h
        (t(2026, 2, 16, 0, 0), t(2026, 2, 25)),
        (t(2026, 2, 20, 23, 59), t(2026, 2, 25)),
        (t(2026, 2, 21, 0, 0), t(2026, 2, 24, 0, 0)),
        (t(2026, 2, 24, 22), t(2026, 2, 27, 22)),
        (t(2026, 2, 25, 1), t(2026, 2, 27, 1)),
    ],
)
def test_spring_festival_2026_overrides(paid: dt.datetime, deadline: dt.datetime) -> None:
    assert judge(facts(paid_at=paid), t(2026, 1, 1))["ship_timeout"].deadline == deadline


def test_explicit_exp_ship_time_wins_over_overrides() -> None:
    f = facts(paid_at=t(2026, 2, 17, 9), exp_ship_time=t(2026, 2, 19, 12))
    assert judge(f, t(2026, 1, 1))["ship_timeout"].deadline == t(2026, 2, 19, 12)


def test_auto_refund_exactly_72_hours_after_missed_pickup_deadline() -> None:
    f = facts(shipped_at=t(2026, 3, 2, 12), amount=Decimal("88.80"))
    due = t(2026, 3, 6, 12)  # deadline 3/3 12:00 + 72 h
    assert judge(f, due - dt.timedelta(microseconds=1))["pickup_timeout"].auto_refund == 0
    assert judge(f, due)["pickup_timeout"].auto_refund == Decimal("88.80")
    picked = facts(shipped_at=t(2026, 3, 2, 12), first_pickup_at=due, amount=Decimal("88.80"))
    assert judge(picked, t(2026, 4, 1))["pickup_timeout"].auto_refund == 0


def test_remote_region_extra_hours_and_exclusion(tmp_path: Path) -> None:
    text = (Path(__file__).parents[3] / "src/lanshou/rules/douyin.yaml").read_text("utf-8")
    prov = '{source: "test", as_of: 2026-01-01}'
    text = text.replace(
        "exemptions: []",
        "exemptions:\n"
        f"  - {{id: xinjiang, provinces: [新疆, 西藏], extra_hours: 48, provenance: {prov}}}\n"
        f"  - {{id: overseas, provinces: [香港], exclude: true, provenance: {prov}}}\n",
    )
    (tmp_path / "douyin.yaml").write_text(text, "utf-8")
    p = load_profile("douyin", [tmp_path])
    f = facts(shipped_at=t(2026, 3, 2, 12), province="新疆维吾尔自治区")
    o = {x.rule_id: x for x in evaluate_shipment(f, p, calendar_for(p), [], t(2026, 3, 4, 13))}
    assert (o["pickup_timeout"].deadline, o["pickup_timeout"].late) == (t(2026, 3, 5, 12), False)
    assert o["pickup_timeout"].exemption_id == "xinjiang"
    f2 = facts(shipped_at=t(2026, 3, 2, 12), province="香港")
    o2 = {x.rule_id: x for x in evaluate_shipment(f2, p, calendar_for(p), [], t(2026, 3, 9))}
    assert (o2["pickup_timeout"].late, o2["pickup_timeout"].exempt) == (True, True)
    assert o2["pickup_timeout"].compensation == 0 and o2["pickup_timeout"].auto_refund == 0


def test_platform_event_exempts_or_extends_by_overlap() -> None:
    storm = Exemption(
        "storm",
        "platform_event",
        t(2026, 3, 2, 18),
        t(2026, 3, 3, 6),
        mode="extend",
        provinces=frozenset({"浙江"}),
        carriers=frozenset({"ZTO"}),
    )
    f = facts(shipped_at=t(2026, 3, 2, 12), province="浙江省", carrier_code="zto")
    o = judge(f, t(2026, 3, 3, 20), [storm])["pickup_timeout"]
    assert (o.deadline, o.late, o.exemption_id) == (t(2026, 3, 4, 0), False, "storm")  # +12 h
    other = facts(shipped_at=t(2026, 3, 2, 12), province="浙江省", carrier_code="sf")
    assert judge(other, t(2026, 3, 3, 20), [storm])["pickup_timeout"].late is True
    fm = Exemption(
        "fm1", "force_majeure", t(2026, 3, 3), t(2026, 3, 4), shop_ids=frozenset({"shop"})
    )
    o = judge(f, t(2026, 3, 9), [fm])["pickup_timeout"]
    assert (o.late, o.exempt, o.exemption_id, o.compensation) == (True, True, "fm1", 0)
    unapproved = Exemption("fm2", "force_majeure", t(2026, 3, 3), t(2026, 3, 4), approved=False)
    assert judge(f, t(2026, 3, 9), [unapproved])["pickup_timeout"].exempt is False


def test_fines_capped_at_two_per_order_and_500_per_shop_day() -> None:
    d = t(2026, 3, 3, 8)
    many = [FineCandidate(f"S{i:03}", "pickup_timeout", f"O{i:03}", "shop", d) for i in range(60)]
    # Order X: three violations; only the first two (by deadline) are fined.
    order_x = [
        FineCandidate("X1", r, "OX", "shop2", d + dt.timedelta(hours=h))
        for r, h in (("ship_timeout", 0), ("pickup_timeout", 1))
    ] + [FineCandidate("X2", "pickup_timeout", "OX", "shop2", d + dt.timedelta(hours=2))]
    fines = allocate_fines(many + order_x, DOUYIN)
    assert sum(fines[c.key] for c in many) == Decimal("500.00")
    assert fines[("S049", "pickup_timeout")] == Decimal("10.00")
    assert fines[("S050", "pickup_timeout")] == Decimal("0.00")
    assert [fines[c.key] for c in order_x] == [Decimal("10.00"), Decimal("10.00"), Decimal("0.00")]
    # The cap is per local calendar day: 23:59 and 00:00 Beijing time are different days.
    split = [
        FineCandidate(f"D{i}", "pickup_timeout", f"P{i}", "s", t(2026, 3, 3, 23, 59))
        for i in range(50)
    ] + [FineCandidate("E", "pickup_timeout", "PE", "s", t(2026, 3, 4))]
    assert allocate_fines(split, DOUYIN)[("E", "pickup_timeout")] == Decimal("10.00")


def test_points_capped_per_day_and_week() -> None:
    cands = [
        FineCandidate(f"S{i:02}", "pickup_timeout", f"O{i:02}", "shop", t(2026, 3, 2 + i // 25, 9))
        for i in range(100)
    ]
    points = allocate_points(cands, DOUYIN)
    assert sum(points[c.key] for c in cands[:25]) == Decimal("2.0")
    assert sum(points.values()) == Decimal("6.0")


def test_cancelled_orders_are_not_evaluated_and_explanation_is_bilingual() -> None:
    assert judge(facts(order_status="cancelled"), t(2026, 3, 10)) == {}
    o = judge(facts(shipped_at=t(2026, 3, 5)), t(2026, 3, 10))["ship_timeout"]
    assert o.explanation[0] == "发货超时 / Late shipment (ship_timeout)"
    assert o.explanation[2] == (
        "deadline 截止: 2026-03-04T10:00:00+08:00 (start + 48 calendar hours / 自然小时)"
    )
