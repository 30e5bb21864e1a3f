"""Scans in the inbox's shape: the same dedup key, fields and checks as a TrackingUpdate."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lanshou.domain.tracking import PlainEvent, TrackingUpdate, inbox_scan
from lanshou.orders import CarrierResolver, inbox_scans, record_scans

CST = timezone(timedelta(hours=8))


def test_the_dedup_key_is_the_stored_one_whichever_path_computes_it() -> None:
    # The text hashed is stored with every event: it must never change.
    expected = hashlib.sha256("WB1|picked_up|2026-11-01T06:05:00+00:00|已揽收".encode()).hexdigest()
    at = datetime(2026, 11, 1, 14, 5, tzinfo=CST)
    update = TrackingUpdate(" wb1 ", "picked_up", at, "webhook", description=" 已揽收 ")
    scan = inbox_scan(
        carrier_code=None,
        waybill_no=" wb1 ",
        status="picked_up",
        event_time=at,
        source="webhook",
        location="",
        description=" 已揽收 ",
        raw_json=None,
    )
    assert update.dedup_key == scan.dedup_key == expected
    assert (scan.waybill_no, scan.event_time, scan.location) == (
        "WB1",
        datetime(2026, 11, 1, 6, 5, tzinfo=UTC),
        None,
    )
    assert scan.event_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("status", "at", "message"),
    [
        ("lost", datetime(2026, 11, 1, tzinfo=UTC), "unknown tracking status 'lost'"),
        ("picked_up", datetime(2026, 11, 1), "tracking event_time must be timezone-aware"),
    ],
)
def test_a_scan_is_checked_as_an_update_is(status: str, at: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inbox_scan(
            carrier_code=None,
            waybill_no="WB1",
            status=status,
            event_time=at,
            source="import",
            location=None,
            description=None,
            raw_json=None,
        )


def test_scans_resolve_carriers_and_keep_the_raw_text_or_encode_the_raw_record() -> None:
    carriers = CarrierResolver()
    at = datetime(2026, 11, 1, 14, 5, tzinfo=CST)
    events = [
        PlainEvent("顺丰", "wb1", at, "picked_up", raw={"a": 1}, raw_json='{"a": 1}'),
        PlainEvent("火星", "wb2", at, "in_transit", raw={"城": "杭州", "n": [1]}),
        PlainEvent("sf", "wb3", at, "delivered"),
    ]
    unknown: Counter[str] = Counter()
    scans = inbox_scans(events, carriers, "import", unknown)
    assert [(s.carrier_code, s.waybill_no, s.source, s.raw_json) for s in scans] == [
        ("SF", "WB1", "import", '{"a": 1}'),
        (None, "WB2", "import", '{"城":"杭州","n":[1]}'),
        ("SF", "WB3", "import", None),
    ]
    assert json.loads(scans[1].raw_json or "") == {"城": "杭州", "n": [1]}
    assert unknown == Counter({"火星": 1})


def test_scans_of_tuples_are_what_inbox_scan_makes_of_each() -> None:
    carriers = CarrierResolver()
    at = datetime(2026, 11, 1, 14, 5, 0, 250000, tzinfo=CST)
    records = [
        ("顺丰", " wb1 ", at, "picked_up", "", " 已揽收 ", '{"a": 1}'),
        ("火星", "wb2", at.astimezone(UTC), "in_transit", "杭州", None, None),
        (" 火星 ", "WB3", at, "exception", None, "", "{}"),
    ]
    unknown: Counter[str] = Counter()
    scans = record_scans(records, carriers, "webhook", unknown)
    assert scans == [
        inbox_scan(
            carrier_code=code,
            waybill_no=waybill,
            status=status,
            event_time=time,
            source="webhook",
            location=location,
            description=description,
            raw_json=raw,
        )
        for code, (_, waybill, time, status, location, description, raw) in zip(
            ["SF", None, None], records, strict=True
        )
    ]
    assert scans[0][:7] == ("SF", "WB1", "picked_up", at, None, " 已揽收 ", "webhook")
    assert scans[0].event_time.tzinfo is UTC
    assert unknown == Counter({"火星": 2})


@pytest.mark.parametrize(
    ("status", "at", "message"),
    [
        ("lost", datetime(2026, 11, 1, tzinfo=UTC), "unknown tracking status 'lost'"),
        ("picked_up", datetime(2026, 11, 1), "tracking event_time must be timezone-aware"),
    ],
)
def test_scans_of_tuples_are_checked_as_inbox_scan_checks_one(
    status: str, at: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        record_scans(
            [("sf", "WB1", at, status, None, None, None)], CarrierResolver(), "import", Counter()
        )
