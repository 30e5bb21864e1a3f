"""The tracking events the integration user of the web load test posts (bench/locustfile.py),
kept apart from locust so the logic is tested without it (tests/unit/bench).

The plan (bench_web_load.py reads it from the database) names parcels waiting for pickup and
parcels on their way (picked up, in transit, out for delivery), each with the time of its last
stored event. Every POST carries the same mix for as long as the plan lasts: ``pickups`` pickup
scans of parcels waiting for pickup, and the rest the next scan of parcels on their way — a
parcel's journey is picked up → in transit → in transit (a second hub) → out for delivery →
delivered, one scan at a time, each later than the parcel's last event and never after ``now``.
A parcel picked up during the run joins the back of the parcels on their way, so a reused world
is valid for the next run too: its parcels are where the last run left them, and the next plan
reads them from the database again.

Also here, as pure as the plan: how many POSTs a run can ask of it, how many full POSTs of the
mix a plan holds, and the POSTs per minute in locust's history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

EVENTS_PER_POST = 10

JOURNEY: tuple[str, ...] = (
    "picked_up",
    "in_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
)
HUBS: tuple[str, ...] = ("杭州转运中心", "上海分拨中心", "广州转运中心", "北京顺义集散中心")
STEP = timedelta(seconds=1)  # a parcel's next scan is at least this much after its last one


@dataclass
class Parcel:
    carrier: str
    waybill: str
    step: int  # index in JOURNEY of its next scan
    last: datetime | None  # time of its last event, if any

    @property
    def done(self) -> bool:
        return self.step >= len(JOURNEY)


def next_step(status: str) -> int:
    """Where a parcel stored with ``status`` goes on in JOURNEY (its first scan of that
    status: a parcel in transit gets one more hub scan)."""
    if status == "awaiting_pickup":
        return 0
    return JOURNEY.index(status) + 1


def parcels(rows: Iterable[Sequence[Any]]) -> list[Parcel]:
    """Plan rows ``[carrier, waybill, status, last event time (ISO 8601) or None]``."""
    return [
        Parcel(carrier, waybill, next_step(status), datetime.fromisoformat(last) if last else None)
        for carrier, waybill, status, last in rows
    ]


def remaining_scans(rows: Iterable[Parcel]) -> int:
    return sum(len(JOURNEY) - p.step for p in rows)


class EventPlan:
    """Batches of scans: ``pickups`` pickup scans while parcels wait for pickup, the rest (and
    all of a batch once none wait) next scans of parcels on their way. Not thread-safe: the
    locustfile takes a lock around :meth:`batch`."""

    def __init__(
        self,
        waiting: Iterable[Parcel],
        on_the_way: Iterable[Parcel],
        *,
        size: int = 10,
        pickups: int = 3,
        lag: timedelta = timedelta(minutes=1),
    ) -> None:
        if not 0 <= pickups <= size:
            raise ValueError(f"pickups per batch must be within 0…{size}, got {pickups}")
        self.waiting = deque(p for p in waiting if p.step == 0)
        self.on_the_way = deque(p for p in on_the_way if not p.done and p.step > 0)
        self.size, self.pickups, self.lag = size, pickups, lag
        self.hub = 0

    def batch(self, now: datetime) -> list[dict[str, Any]]:
        """The next batch at ``now`` (aware): at most ``size`` events, empty once the plan is
        used up. Scan times are ``now - lag``, or 1 s after the parcel's last event when that
        is later, and never after ``now`` (a parcel whose last event is too recent waits)."""
        out: list[dict[str, Any]] = []
        back: list[Parcel] = []  # to the back of the parcels on their way, after this batch
        while self.waiting and len(out) < self.pickups:
            out.append(self._scan(self.waiting.popleft(), now, back))
        later: list[Parcel] = []  # their last event is too recent for a scan now
        while self.on_the_way and len(out) < self.size:
            parcel = self.on_the_way.popleft()
            if parcel.last is not None and parcel.last + STEP > now:
                later.append(parcel)
            else:
                out.append(self._scan(parcel, now, back))
        while self.waiting and len(out) < self.size:  # nothing else left to scan
            out.append(self._scan(self.waiting.popleft(), now, back))
        self.on_the_way.extend(later + back)
        return out

    def _scan(self, parcel: Parcel, now: datetime, back: list[Parcel]) -> dict[str, Any]:
        at = now - self.lag
        if parcel.last is not None and parcel.last + STEP > at:
            at = min(parcel.last + STEP, now)
        status = JOURNEY[parcel.step]
        event: dict[str, Any] = {
            "carrier": parcel.carrier,
            "waybill": parcel.waybill,
            "time": at.isoformat(),
            "status": status,
        }
        if status == "in_transit":
            event["location"] = HUBS[self.hub % len(HUBS)]
            self.hub += 1
        parcel.step, parcel.last = parcel.step + 1, at
        if not parcel.done:
            back.append(parcel)
        return event


def run_seconds(run_time: str) -> int:
    """locust's --run-time (``300``, ``300s``, ``5m``, ``1h30m``) in seconds."""
    if run_time.isdigit():
        return int(run_time)
    total, number = 0, ""
    for char in run_time:
        if char.isdigit():
            number += char
        elif char in "hms" and number:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise ValueError(f"cannot read run time {run_time!r}")
    return total


def integration_posts(users: int, run_time: str) -> int:
    """The most POSTs the integration users can make: locust gives them 1 of 7 users by
    weight (one more for rounding), each POSTs at most once a second (1–2 s think time)."""
    return (users // 7 + 1) * run_seconds(run_time)


def plan_capacity(the_plan: dict[str, Any], posts: int) -> dict[str, int]:
    """How many full POSTs of the constant mix the plan holds, against the most possible."""
    pickups, size = the_plan["pickups_per_post"], the_plan["events_per_post"]
    waiting = len(the_plan["waiting"])
    # A parcel picked up in the run goes on with its journey too.
    later = sum(len(JOURNEY) - 1 - JOURNEY.index(st) for _, _, st, _ in the_plan["on_the_way"])
    later += waiting * (len(JOURNEY) - 1)
    full = min(waiting // pickups if pickups else posts, later // (size - pickups or 1))
    return {
        "waiting": waiting,
        "on_the_way": len(the_plan["on_the_way"]),
        "full_posts": full,
        "posts_max": posts,
    }


def posts_per_minute(history: list[dict[str, str]], start: float) -> list[int]:
    """Tracking POSTs in each minute since ``start``, from locust's cumulative history (one
    row a second per route); the last minute may be partial."""
    totals: dict[int, int] = {}
    for row in history:
        if row["Name"] == "/api/v1/tracking/events":
            minute = int((int(row["Timestamp"]) - start) // 60)
            totals[minute] = max(totals.get(minute, 0), int(row["Total Request Count"]))
    out, before = [], 0
    for minute in range(max(totals, default=-1) + 1):
        total = totals.get(minute, before)
        out.append(total - before)
        before = total
    return out
