"""Kaplan–Meier survival of "not yet picked up", per segment, with backoff; pure, no I/O.

S(t) is the share of parcels still waiting for pickup ``t`` hours after being marked shipped.
For a shipment marked shipped ``elapsed`` hours ago and due ``remaining`` hours from now,
P(miss) = S(elapsed + remaining) / S(elapsed): the chance that it is still waiting at the
deadline, given it is waiting now. (1 − that ratio is the chance the pickup comes in time.)

Segments are (outlet | carrier | all) × day type (workday,
weekend, holiday — China's statutory calendar) × hour band of the moment it was marked
shipped. A segment with fewer than ``min_n`` observations backs off to the broader one:
outlet → carrier → all shipments of that day type and hour band → all shipments.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from holidays.holiday_base import HolidayBase

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR_BANDS = (0, 9, 14, 18)  # 00–09, 09–14, 14–18, 18–24 local time
MIN_OBSERVATIONS = 30
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Curve:
    """S(t) as a right-continuous step function over the distinct event times."""

    times: tuple[float, ...]
    survival: tuple[float, ...]
    n: int

    def at(self, t: float) -> float:
        i = bisect_right(self.times, t)
        return 1.0 if i == 0 else self.survival[i - 1]


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> Curve:
    """The product-limit estimator; censored observations leave the risk set after their time.

    Ties: at one time, events are counted before censorings (the usual convention).
    """
    n = len(durations)
    order = sorted(range(n), key=durations.__getitem__)
    times: list[float] = []
    deaths: list[int] = []
    leaving: list[int] = []  # events + censorings at each distinct time
    for i in order:
        t = durations[i]
        if not times or t != times[-1]:
            times.append(t)
            deaths.append(0)
            leaving.append(0)
        deaths[-1] += bool(observed[i])
        leaving[-1] += 1
    at_risk = [n - x for x in accumulate([0, *leaving[:-1]])]
    factors = [1 - d / r for d, r in zip(deaths, at_risk, strict=True)]
    survival = list(accumulate(factors, lambda a, b: a * b))
    keep = [i for i, d in enumerate(deaths) if d]  # only event times change S
    return Curve(tuple(times[i] for i in keep), tuple(survival[i] for i in keep), n)


@lru_cache(maxsize=4096)
def _day_type(day: date) -> str:
    if day in _china_holidays(day.year):
        return "holiday"
    return "weekend" if day.weekday() >= 5 else "workday"


@lru_cache(maxsize=32)
def _china_holidays(year: int) -> HolidayBase:
    # Imported on first use: the library loads every country it knows (0.4 s of CPU), which
    # commands that import this module on the way and never predict (import tracking) skip.
    from holidays import country_holidays

    return country_holidays("CN", years=year)


def segment_of(shipped_at: datetime) -> tuple[str, int]:
    """(day type, hour band) of the local moment a parcel was marked shipped."""
    local = shipped_at.astimezone(SHANGHAI)
    band = bisect_right(HOUR_BANDS, local.hour) - 1
    return _day_type(local.date()), band


@dataclass(frozen=True)
class Observation:
    carrier_id: int | None
    outlet_id: int | None
    segment: tuple[str, int]
    hours: float
    picked_up: bool  # False: censored (still waiting at ``now``)


@dataclass(frozen=True)
class Prediction:
    probability: float
    level: str  # outlet | carrier | segment | all — which curve answered
    n: int


class BreachModel:
    """Curves for every segment with enough observations, fitted once, queried many times."""

    def __init__(self, observations: Iterable[Observation], min_n: int = MIN_OBSERVATIONS):
        groups: dict[Key, tuple[list[float], list[bool]]] = defaultdict(lambda: ([], []))
        for o in observations:
            for key in (
                ("outlet", o.outlet_id, o.segment),
                ("carrier", o.carrier_id, o.segment),
                ("segment", None, o.segment),
                ("all", None, None),
            ):
                if key[0] in ("outlet", "carrier") and key[1] is None:
                    continue
                hours, seen = groups[key]
                hours.append(o.hours)
                seen.append(o.picked_up)
        self.min_n = min_n
        self.curves: dict[tuple[Any, ...], Curve] = {
            key: kaplan_meier(h, e)
            for key, (h, e) in groups.items()
            if len(h) >= min_n or key[0] == "all"
        }

    def curve(
        self, carrier_id: int | None, outlet_id: int | None, segment: tuple[str, int]
    ) -> tuple[str, Curve] | None:
        for key in (
            ("outlet", outlet_id, segment),
            ("carrier", carrier_id, segment),
            ("segment", None, segment),
            ("all", None, None),
        ):
            found = self.curves.get(key)
            if found is not None:
                return str(key[0]), found
        return None

    def predict(
        self,
        carrier_id: int | None,
        outlet_id: int | None,
        shipped_at: datetime,
        now: datetime,
        due_at: datetime,
    ) -> Prediction | None:
        remaining = (due_at - now).total_seconds() / 3600
        if remaining <= 0:
            return Prediction(1.0, "overdue", 0)
        found = self.curve(carrier_id, outlet_id, segment_of(shipped_at))
        if found is None:
            return None
        level, curve = found
        elapsed = max(0.0, (now - shipped_at).total_seconds() / 3600)
        return Prediction(miss_probability(curve, elapsed, remaining), level, curve.n)


def miss_probability(curve: Curve, elapsed: float, remaining: float) -> float:
    """S(elapsed + remaining) / S(elapsed): still waiting at the deadline, given waiting now.

    When S(elapsed) is already 0 every observed parcel had been picked up by now and this one
    has not: it is outside all experience, and we call the miss certain.
    """
    base = curve.at(elapsed)
    if base <= 0:
        return 1.0
    return min(1.0, max(0.0, curve.at(elapsed + remaining) / base))
