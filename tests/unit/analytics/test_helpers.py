"""Percentiles, money strings, rule changes for what-if, and table exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lanshou.analytics.export import to_csv, to_xlsx
from lanshou.analytics.losses import fen_str
from lanshou.analytics.period import percentile
from lanshou.analytics.whatif import Change, apply_changes, parse_change
from lanshou.domain.rules import load_profile
from lanshou.errors import InvalidInput


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert [percentile(values, p) for p in (50, 90, 99, 100)] == [5.0, 9.0, 10.0, 10.0]
    assert percentile([], 50) is None


def test_fen_become_two_decimal_yuan_strings() -> None:
    assert [fen_str(v) for v in (0, 5, 1234, -5, -100)] == [
        "0.00",
        "0.05",
        "12.34",
        "-0.05",
        "-1.00",
    ]


def test_a_change_is_parsed_and_applied_to_a_copy_of_the_profile() -> None:
    assert parse_change("pickup_timeout.hours=12") == Change("pickup_timeout", "hours", Decimal(12))
    profile = load_profile("douyin")
    changed = apply_changes(
        profile, [parse_change("pickup_timeout.hours=12"), parse_change("pickup_timeout.fine=20")]
    )
    rule = changed.rule("pickup_timeout")
    assert rule.duration is not None and rule.duration.hours == Decimal(12)
    assert rule.consequences.fine is not None and rule.consequences.fine.amount == Decimal(20)
    original = profile.rule("pickup_timeout")
    assert original.duration is not None and original.duration.hours == Decimal(24)


@pytest.mark.parametrize(
    "bad",
    ["pickup_timeout=12", "pickup_timeout.colour=1", "pickup_timeout.hours=-1", "x.hours=abc"],
)
def test_bad_changes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_change(bad)


def test_csv_and_xlsx_hold_the_same_rows() -> None:
    headers = ["shop", "net_loss"]
    rows = [["甜橙小铺", 12.5], ["山野茶舍", None]]
    text = to_csv(headers, rows).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [headers, ["甜橙小铺", "12.5"], ["山野茶舍", ""]]
    ws = load_workbook(io.BytesIO(to_xlsx(headers, rows))).active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [headers, *rows]
