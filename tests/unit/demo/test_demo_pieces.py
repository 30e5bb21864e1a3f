"""The demo generator's pure pieces: waybill shapes, time rendering, the payment rhythm."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from lanshou.demo.bulk import TimeText
from lanshou.demo.catalogue import CARRIERS, SHOPS
from lanshou.demo.rhythm import paid_times
from lanshou.demo.waybills import waybill

SHAPES = {
    "SF": r"SF\d{12}",
    "ZTO": r"7[58]\d{12}",
    "YTO": r"YT\d{13}",
    "YUNDA": r"4[36]\d{11}",
    "STO": r"77\d{13}",
    "JT": r"JT\d{13}",
    "EMS": r"(11|98)\d{11}",
    "JD": r"JD\d{13}",
}


@pytest.mark.parametrize("code", sorted(SHAPES))
def test_waybills_have_the_carriers_typical_shape_and_never_repeat(code: str) -> None:
    rng = random.Random(1)
    numbers = [waybill(code, seq, rng) for seq in range(5000)]
    assert all(re.fullmatch(SHAPES[code], n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_every_carrier_has_a_waybill_shape_and_a_service_phone() -> None:
    assert {c.code for c in CARRIERS} == set(SHAPES)
    assert {c.code: c.service_phone for c in CARRIERS} == {
        "SF": "95338",
        "ZTO": "95311",
        "YTO": "95554",
        "YUNDA": "95546",
        "STO": "95543",
        "JT": "956025",
        "EMS": "11183",
        "JD": "950616",
    }


@pytest.mark.parametrize("tail", ["", "+00"])  # SQLite's, PostgreSQL's utc_text_suffix
def test_time_text_matches_what_sqlalchemy_and_isoformat_write(tail: str) -> None:
    first, last = 1_772_000_017, 1_772_900_000
    text = TimeText(tail, first, last)
    for ts in (first, first + 43, 1_772_345_678, last):
        at = datetime.fromtimestamp(ts, UTC)
        assert text.db(ts) == at.strftime("%Y-%m-%d %H:%M:%S.%f") + tail
        assert text.iso(ts) == at.isoformat()


def test_payment_times_are_sorted_inside_the_window_and_peak_in_the_evening() -> None:
    now_ts = int(datetime(2026, 3, 10, 6, 30, tzinfo=UTC).timestamp())
    start_ts = now_ts - 30 * 86400
    times = paid_times(random.Random(3), 20_000, start_ts=start_ts, now_ts=now_ts)
    assert times == sorted(times)
    assert start_ts <= times[0] and times[-1] < now_ts
    local_hours = Counter((t + 8 * 3600) % 86400 // 3600 for t in times)
    assert local_hours[21] > 3 * local_hours[4]


def test_the_catalogue_exercises_every_compensation_tier() -> None:
    prices = [p.price_fen for shop in SHOPS for p in shop.products]
    assert any(p <= 300 for p in prices)
    assert any(300 < p < 30_000 for p in prices)
    assert any(p >= 30_000 for p in prices)
    assert any(p > 300_000 for p in prices)


def test_the_shops_span_two_platforms_and_three_origin_cities() -> None:
    assert Counter(s.platform for s in SHOPS) == {"douyin": 2, "pinduoduo": 1}
    assert {(s.province, s.city) for s in SHOPS} == {
        ("浙江", "杭州"),
        ("广东", "广州"),
        ("江苏", "苏州"),
    }


def test_time_text_refuses_instants_outside_its_range_instead_of_wrapping() -> None:
    import pytest

    from lanshou.demo.bulk import TimeText

    first, last = 1_764_000_000, 1_764_000_000 + 7200
    times = TimeText("", first, last)
    assert times.db(first) == "2025-11-24 16:00:00.000000"
    assert times.iso(last) == "2025-11-24T18:00:00+00:00"
    with pytest.raises(ValueError, match="outside the rendered range"):
        times.db(last + 3600)  # the table ends with the hour that holds last_ts
    with pytest.raises(ValueError, match="outside the rendered range"):
        times.iso(first - 60)
