"""A Douyin profile whose caps a handful of violations reach, for the fines allocation tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import lanshou.rules
from lanshou.domain.rules.loader import parse_profile

SH = ZoneInfo("Asia/Shanghai")
# 10 yuan a fine, two per order, 25 yuan a shop-day (the third fine of a day is cut to 5),
# 0.1 points each, 0.3 a day, 0.5 a week.
TIGHT = parse_profile(
    (Path(lanshou.rules.__file__).parent / "douyin.yaml")
    .read_text(encoding="utf-8")
    .replace('max_per_shop_per_day: "500.00"', 'max_per_shop_per_day: "25.00"')
    .replace('max_per_day: "2"', 'max_per_day: "0.3"')
    .replace('max_per_week: "6"', 'max_per_week: "0.5"'),
    "tight.yaml",
)
RULES = ("ship_timeout", "pickup_timeout")
MONDAY = dt.datetime(2026, 11, 16, tzinfo=SH)
# The allocation tests' world: judged two weeks after MONDAY; a violation spec is (shop, order,
# shipment, rule, deadline, state), order o belonging to shop o % shops.
NOW = MONDAY + dt.timedelta(days=14)
STATES = ("open", "confirmed", "reversed", "exempt", "withdrawn")
Spec = tuple[int, int, int, str, dt.datetime, str]
