"""Kaplan–Meier on the textbook 6-MP example, the miss probability, and segment backoff."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from lanshou.analytics.survival import (
    BreachModel,
    Observation,
    kaplan_meier,
    miss_probability,
    segment_of,
)

CST = timezone(timedelta(hours=8))
# Freireich et al. (1963), 6-MP arm: remission weeks, '+' = censored (Kleinbaum, Survival
# Analysis, table 1.1).
SIX_MP = [
    "6",
    "6",
    "6",
    "6+",
    "7",
    "9+",
    "10",
    "10+",
    "11+",
    "13",
    "16",
    "17+",
    "19+",
    "20+",
    "22",
    "23",
    "25+",
    "32+",
    "32+",
    "34+",
    "35+",
]


def test_the_estimator_matches_the_textbook_product_limit_values() -> None:
    times = [float(x.rstrip("+")) for x in SIX_MP]
    events = [not x.endswith("+") for x in SIX_MP]
    curve = kaplan_meier(times, events)
    expected, s = {}, 1.0
    for t, d, n in (
        (6, 3, 21),
        (7, 1, 17),
        (10, 1, 15),
        (13, 1, 12),
        (16, 1, 11),
        (22, 1, 7),
        (23, 1, 6),
    ):
        s *= 1 - d / n
        expected[t] = s
    assert curve.times == tuple(float(t) for t in expected)
    for t, value in expected.items():
        assert math.isclose(curve.at(t), value, rel_tol=1e-12)
    assert round(curve.at(6), 4) == 0.8571 and round(curve.at(23), 4) == 0.4482
    assert curve.at(5.99) == 1.0 and curve.at(40) == curve.at(23)


def test_the_miss_probability_is_conditional_on_the_time_already_waited() -> None:
    curve = kaplan_meier([1, 2, 3, 4], [True] * 4)  # S: 0.75, 0.5, 0.25, 0
    assert miss_probability(curve, elapsed=0, remaining=2.5) == 0.5  # S(2.5) / S(0)
    assert math.isclose(miss_probability(curve, elapsed=1, remaining=2), 1 / 3)  # .25 / .75
    assert miss_probability(curve, elapsed=0.5, remaining=0.2) == 1.0  # no event in between
    assert miss_probability(curve, elapsed=4, remaining=1) == 1.0  # nobody left: certain


def _obs(carrier: int, outlet: int, hours: float, at: datetime) -> Observation:
    return Observation(carrier, outlet, segment_of(at), hours, True)


def test_a_thin_outlet_backs_off_to_its_carrier_and_a_thin_carrier_to_everyone() -> None:
    at = datetime(2026, 11, 4, 10, tzinfo=CST)  # a Wednesday morning
    obs = [_obs(1, 10, 1.0 + i % 5, at) for i in range(40)]  # outlet 10: 40 observations
    obs += [_obs(1, 11, 30.0, at) for _ in range(5)]  # outlet 11: only 5
    obs += [_obs(2, 20, 50.0, at) for _ in range(3)]  # carrier 2: only 3
    model = BreachModel(obs, min_n=30)
    now = at + timedelta(hours=1)
    assert model.predict(1, 10, at, now, now + timedelta(hours=2)).level == "outlet"
    thin = model.predict(1, 11, at, now, now + timedelta(hours=2))
    assert thin.level == "carrier" and thin.n == 45
    assert model.predict(2, 20, at, now, now + timedelta(hours=2)).level == "segment"
    other = datetime(2026, 11, 7, 20, tzinfo=CST)  # a Saturday evening: no such segment
    assert model.predict(1, 10, other, other, other + timedelta(hours=1)).level == "all"
    assert model.predict(1, 10, at, now, now - timedelta(seconds=1)).probability == 1.0


def test_segments_know_weekends_and_chinese_holidays() -> None:
    assert segment_of(datetime(2026, 11, 4, 10, tzinfo=CST)) == ("workday", 1)
    assert segment_of(datetime(2026, 11, 7, 20, tzinfo=CST)) == ("weekend", 3)
    assert segment_of(datetime(2026, 10, 1, 8, tzinfo=CST)) == ("holiday", 0)
