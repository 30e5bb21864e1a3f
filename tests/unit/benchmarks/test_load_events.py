"""The web load test's tracking plan (bench/load_events.py): a constant mix of pickup scans and
later scans, each after its parcel's last event and never after now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bench.load_events import (
    EventPlan,
    Parcel,
    integration_posts,
    next_step,
    parcels,
    plan_capacity,
    posts_per_minute,
    remaining_scans,
    run_seconds,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LAG = timedelta(minutes=1)


def waiting(n: int) -> list[Parcel]:
    return parcels([["SF", f"W{i}", "awaiting_pickup", None] for i in range(n)])


def test_a_stored_status_continues_with_the_next_scan_of_the_journey() -> None:
    assert [next_step(s) for s in ("awaiting_pickup", "picked_up", "in_transit")] == [0, 1, 2]
    assert next_step("out_for_delivery") == 4
    rows = parcels([["ZTO", "75", "in_transit", "2026-12-04T10:00:00+00:00"]])
    assert rows == [Parcel("ZTO", "75", 2, datetime(2026, 12, 4, 10, tzinfo=UTC))]
    assert remaining_scans(rows) == 3  # a second hub, out for delivery, delivered


def test_every_batch_has_the_same_mix_while_parcels_wait() -> None:
    on_the_way = parcels(
        [["YTO", f"T{i}", "picked_up", "2026-12-04T09:00:00+00:00"] for i in range(20)]
    )
    plan = EventPlan(waiting(6), on_the_way, size=10, pickups=3, lag=LAG)
    first, second = plan.batch(NOW), plan.batch(NOW + timedelta(seconds=2))
    assert [e["status"] for e in first] == ["picked_up"] * 3 + ["in_transit"] * 7
    assert [e["waybill"] for e in first] == ["W0", "W1", "W2", *(f"T{i}" for i in range(7))]
    assert [e["status"] for e in second] == ["picked_up"] * 3 + ["in_transit"] * 7
    assert [e["waybill"] for e in second] == ["W3", "W4", "W5", *(f"T{i}" for i in range(7, 14))]
    assert {e["time"] for e in first} == {(NOW - LAG).isoformat()}
    assert first[3]["location"] == "杭州转运中心"
    assert "location" not in first[0]


def test_a_parcel_goes_the_whole_journey_each_scan_later_and_none_after_now() -> None:
    plan = EventPlan(waiting(1), [], size=10, pickups=3, lag=LAG)
    scans = [e for i in range(8) for e in plan.batch(NOW + timedelta(seconds=i))]
    assert [e["status"] for e in scans] == [
        "picked_up",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    times = [datetime.fromisoformat(e["time"]) for e in scans]
    # Picked up at now - lag; each later scan 1 s after the last (still before that batch's now).
    assert times == [NOW - LAG + timedelta(seconds=i) for i in range(5)]
    assert plan.batch(NOW + timedelta(seconds=9)) == []  # delivered: nothing left to post


def test_a_parcel_never_gets_two_scans_in_one_batch() -> None:
    plan = EventPlan(waiting(2), [], size=10, pickups=3, lag=LAG)
    assert [(e["waybill"], e["status"]) for e in plan.batch(NOW)] == [
        ("W0", "picked_up"),
        ("W1", "picked_up"),
    ]
    assert [(e["waybill"], e["status"]) for e in plan.batch(NOW)] == [
        ("W0", "in_transit"),
        ("W1", "in_transit"),
    ]


def test_a_parcel_whose_last_event_is_too_recent_waits_and_no_scan_is_after_now() -> None:
    recent = (NOW - timedelta(milliseconds=500)).isoformat()
    older = (NOW - timedelta(seconds=30)).isoformat()
    on_the_way = parcels([["SF", "R", "in_transit", recent], ["SF", "O", "picked_up", older]])
    plan = EventPlan([], on_the_way, size=10, pickups=3, lag=LAG)
    assert plan.batch(NOW) == [
        {
            "carrier": "SF",
            "waybill": "O",
            "time": (NOW - timedelta(seconds=29)).isoformat(),  # after its last, not now - lag
            "status": "in_transit",
            "location": "杭州转运中心",
        }
    ]
    later = NOW + timedelta(seconds=5)
    assert [(e["waybill"], e["time"]) for e in plan.batch(later)] == [
        ("R", (NOW + timedelta(milliseconds=500)).isoformat()),
        ("O", (NOW - timedelta(seconds=28)).isoformat()),
    ]


def test_once_no_parcel_waits_the_batch_is_all_later_scans_and_vice_versa() -> None:
    on_the_way = parcels([["SF", f"T{i}", "picked_up", None] for i in range(30)])
    plan = EventPlan(waiting(1), on_the_way, size=10, pickups=3, lag=LAG)
    plan.batch(NOW)
    assert [e["status"] for e in plan.batch(NOW)] == ["in_transit"] * 10
    only_waiting = EventPlan(waiting(12), [], size=10, pickups=3, lag=LAG)
    assert [e["status"] for e in only_waiting.batch(NOW)] == ["picked_up"] * 10


def test_pickups_beyond_the_batch_are_refused() -> None:
    with pytest.raises(ValueError, match="within 0…10, got 11"):
        EventPlan([], [], size=10, pickups=11)


def test_run_time_and_the_most_posts_the_integration_users_can_make() -> None:
    assert [run_seconds(t) for t in ("300", "300s", "5m", "1h30m")] == [300, 300, 300, 5400]
    assert integration_posts(20, "5m") == 3 * 300  # 20 // 7 + 1 users, one POST a second


def test_plan_capacity_counts_full_posts_of_the_mix() -> None:
    plan = {
        "events_per_post": 10,
        "pickups_per_post": 3,
        "waiting": [["SF", f"W{i}", "awaiting_pickup", None] for i in range(30)],
        "on_the_way": [["SF", "T", "out_for_delivery", None]] * 50,
    }
    # 30 waiting: 10 POSTs of 3 pickups; later scans 30 × 4 + 50 × 1 = 170: 24 POSTs of 7.
    assert plan_capacity(plan, 100) == {
        "waiting": 30,
        "on_the_way": 50,
        "full_posts": 10,
        "posts_max": 100,
    }


def test_posts_per_minute_from_locusts_cumulative_history() -> None:
    rows = [
        {"Timestamp": "1000", "Name": "/api/v1/tracking/events", "Total Request Count": "0"},
        {"Timestamp": "1030", "Name": "/orders/[id]", "Total Request Count": "99"},
        {"Timestamp": "1059", "Name": "/api/v1/tracking/events", "Total Request Count": "40"},
        {"Timestamp": "1061", "Name": "/api/v1/tracking/events", "Total Request Count": "41"},
        {"Timestamp": "1119", "Name": "/api/v1/tracking/events", "Total Request Count": "80"},
        {"Timestamp": "1150", "Name": "/api/v1/tracking/events", "Total Request Count": "95"},
    ]
    assert posts_per_minute(rows, 1000.0) == [40, 40, 15]
