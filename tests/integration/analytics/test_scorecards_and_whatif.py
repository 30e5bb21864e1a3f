"""Scorecard percentiles and timeout rates on a hand-built world; what-if with exact counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from lanshou.analytics import whatif as wi
from lanshou.analytics.period import Period
from lanshou.analytics.report import build_report
from lanshou.analytics.scorecards import pickup_samples, recommend, scorecards
from lanshou.enforcement.rules_context import RulesContext
from lanshou.identity.scope import Scope
from tests.integration.analytics.world import NOW, build

PERIOD = Period(date(2026, 11, 1), date(2026, 11, 6))


def test_scorecards_have_exact_nearest_rank_percentiles_and_rates(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    with sessions() as s:
        samples = pickup_samples(s, Scope(None), PERIOD, RulesContext(), now=NOW)
        carriers = {c.name: c for c in scorecards(s, samples, "carrier")}
        outlets = {c.name: c for c in scorecards(s, samples, "outlet")}
        recs = recommend(s, Scope(None), PERIOD, samples)
    sf, zto = carriers["顺丰"], carriers["中通"]
    assert (sf.shipments, sf.p(50), sf.p(90), sf.p(99)) == (15, 8.0, 26.0, 30.0)
    assert (sf.timeouts, sf.with_deadline, sf.timeout_rate) == (2, 15, 2 / 15)
    assert (zto.shipments, zto.p(50), zto.p(90), zto.p(99)) == (5, 12.5, 40.0, 40.0)
    assert zto.timeout_rate == 2 / 5
    assert outlets["顺丰杭州网点"].p(90) == 26.0
    assert [r.carrier for r in recs["浙江"]] == ["顺丰", "中通"]
    assert recs["浙江"][0].shipments == 15


def test_the_report_counts_carriers_and_violations(sessions: sessionmaker[Session]) -> None:
    build(sessions)
    with sessions() as s:
        report = build_report(s, Scope(None), PERIOD, RulesContext(), "a", now=NOW)
    assert report["shops"] == ["a"]
    assert report["violations"] == {"pickup_timeout": 2}
    assert report["by_carrier"] == [
        {
            "carrier": "顺丰",
            "shipments": 15,
            "pickup_p50_hours": 8.0,
            "pickup_p90_hours": 26.0,
            "timeout_rate": 0.1333,
        }
    ]


def test_a_12_hour_pickup_window_gives_exactly_the_late_parcels_of_each_shop(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    with sessions() as s:
        diffs = wi.whatif_rules(
            s, RulesContext(), "douyin", [wi.parse_change("pickup_timeout.hours=12")], NOW
        )
    rows = {d.code: d for d in diffs}
    assert (rows["a"].base.violations, rows["a"].changed.violations) == (
        {"pickup_timeout": 2, "ship_timeout": 0},
        {"pickup_timeout": 5, "ship_timeout": 0},
    )
    assert (rows["b"].base.total, rows["b"].changed.total) == (2, 3)
    # ¥50 parcels: ¥3 compensation + ¥10 fine each (at most two fines per order)
    assert (rows["a"].base.money_fen, rows["a"].changed.money_fen) == (2600, 6500)


def test_the_what_if_base_agrees_with_the_stored_violations(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    with sessions() as s:
        report = build_report(s, Scope(None), PERIOD, RulesContext(), now=NOW)
        diffs = wi.whatif_rules(
            s, RulesContext(), "douyin", [wi.parse_change("pickup_timeout.hours=24")], NOW
        )
    assert sum(d.base.total for d in diffs) == sum(report["violations"].values()) == 4
    assert sum(d.base.money_fen for d in diffs) == int(report["net_loss"].replace(".", ""))


def test_switching_shop_b_to_sf_resamples_sf_latencies_deterministically(
    sessions: sessionmaker[Session],
) -> None:
    build(sessions)
    with sessions() as s:
        first = wi.whatif_carrier(s, RulesContext(), "b", "SF", "浙江", NOW)
        again = wi.whatif_carrier(s, RulesContext(), "b", "SF", "浙江", NOW)
    assert [d.row() for d in first] == [d.row() for d in again]
    assert [d.code for d in first] == ["b"] and first[0].base.total == 2
    assert first[0].changed.total <= 5
