"""Times as exports write them, and the day/month order decided per column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lanshou.imports.dates import OrderEvidence, TimeFormatError, infer_orders, parse_time

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05T08:03:00+08:00", datetime(2024, 1, 5, 8, 3, tzinfo=SH)),
        ("2024-01-05T00:03:00Z", datetime(2024, 1, 5, 8, 3, tzinfo=SH)),
        ("2024-01-05 08:03:00", datetime(2024, 1, 5, 8, 3, tzinfo=SH)),
        ("2024/1/5 8:03", datetime(2024, 1, 5, 8, 3, tzinfo=SH)),
        ("2024年1月5日 8:03", datetime(2024, 1, 5, 8, 3, tzinfo=SH)),
        ("2024-01-05", datetime(2024, 1, 5, tzinfo=SH)),
        ("1704412980", datetime(2024, 1, 5, 0, 3, tzinfo=UTC)),
        ("1704412980000", datetime(2024, 1, 5, 0, 3, tzinfo=UTC)),
        ("13/1/2024 8:03", datetime(2024, 1, 13, 8, 3, tzinfo=SH)),
        ("1/13/2024 8:03 PM", datetime(2024, 1, 13, 20, 3, tzinfo=SH)),
        (
            "2024-01-05 08:03:00.250-03:00",
            datetime(2024, 1, 5, 8, 3, 0, 250000, tzinfo=timezone(timedelta(hours=-3))),
        ),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    assert parse_time(text, SH) == expected


NEW_YORK_WINTER = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-11T12:00:00+08:00", datetime(2026, 5, 11, 12, tzinfo=SH)),
        ("2026-05-11 12:00:00+0800", datetime(2026, 5, 11, 12, tzinfo=SH)),
        ("2026-05-11 12:00:00+08", datetime(2026, 5, 11, 12, tzinfo=SH)),
        ("2026-05-11 12:00:00 +08:00", datetime(2026, 5, 11, 12, tzinfo=SH)),
        ("2026-05-11T04:00:00Z", datetime(2026, 5, 11, 12, tzinfo=SH)),
        # -05 is five hours west of UTC: 13 hours after the same wall time in China
        ("2026-05-11 12:00:00-05", datetime(2026, 5, 12, 1, tzinfo=SH)),
        ("2026-05-11 12:00:00 -05", datetime(2026, 5, 11, 12, tzinfo=NEW_YORK_WINTER)),
    ],
)
def test_every_offset_form_real_files_carry(text: str, expected: datetime) -> None:
    assert parse_time(text, SH) == expected


def test_an_offset_out_of_range_is_not_a_time() -> None:
    with pytest.raises(TimeFormatError, match="'\\+25' is not a UTC offset"):
        parse_time("2026-05-11 12:00:00+25", SH)


@pytest.mark.parametrize(
    ("plain", "general"),
    [
        ("2024-01-05 08:03", "2024/01/05 08:03"),
        (" 2024-01-05T08:03:07 ", "2024/01/05 08:03:07"),
        ("2024-12-31 23:59:59", "2024.12.31 23:59:59"),
    ],
)
def test_the_common_shape_parses_exactly_as_the_general_pattern(plain: str, general: str) -> None:
    """`2024-01-05 08:03[:07]` takes a fast path; the same wall time written with slashes takes
    the general one. Same fields, same zone object (not only the same instant)."""
    fast, slow = parse_time(plain, SH), parse_time(general, SH)
    assert fast is not None and slow is not None
    assert (repr(fast), fast.tzinfo) == (repr(slow), SH)


@pytest.mark.parametrize(
    ("iso", "general"),
    [
        ("2024-01-05T08:03:07+08:00", "2024/01/05 08:03:07+08:00"),
        ("2024-01-05 00:03Z", "2024/01/05 00:03Z"),
        ("2024-01-05T08:03-05:00", "2024/01/05 08:03 -05:00"),
    ],
)
def test_the_machine_written_shape_with_an_offset_parses_as_the_general_pattern(
    iso: str, general: str
) -> None:
    """``isoformat()`` output takes a fast path of its own: same wall time, same offset."""
    fast, slow = parse_time(iso, SH), parse_time(general, SH)
    assert fast is not None and slow is not None
    assert (fast.replace(tzinfo=None), fast.utcoffset()) == (
        slow.replace(tzinfo=None),
        slow.utcoffset(),
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-02-30T08:00:00+08:00", "day is out of range for month"),
        ("2024-01-05T08:00:00+25:00", "'+25:00' is not a UTC offset"),
    ],
)
def test_a_bad_value_of_that_shape_is_refused_in_the_general_words(text: str, reason: str) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text, SH)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-02-30 08:00", "day is out of range for month"),
        ("2024-01-05 24:00", "hour must be in 0..23"),
        ("2024-13-05 08:00:00", "month must be in 1..12"),
    ],
)
def test_an_impossible_time_in_the_common_shape_is_refused_in_the_general_words(
    text: str, reason: str
) -> None:
    with pytest.raises(TimeFormatError) as caught:
        parse_time(text, SH)
    assert str(caught.value) == reason


def test_naive_spreadsheet_datetimes_get_the_profile_zone() -> None:
    assert parse_time(datetime(2024, 1, 5, 8, 3), SH) == datetime(2024, 1, 5, 8, 3, tzinfo=SH)


def test_empty_is_none_and_nonsense_is_an_error() -> None:
    assert parse_time("  ", SH) is None
    with pytest.raises(TimeFormatError):
        parse_time("next tuesday", SH)
    with pytest.raises(TimeFormatError):
        parse_time("2024-02-30 08:00", SH)


def test_an_ambiguous_value_needs_an_order() -> None:
    with pytest.raises(TimeFormatError, match="ambiguous"):
        parse_time("1/5/2024 8:03", SH)
    assert parse_time("1/5/2024 8:03", SH, "mdy") == datetime(2024, 1, 5, 8, 3, tzinfo=SH)
    assert parse_time("1/5/2024 8:03", SH, "dmy") == datetime(2024, 5, 1, 8, 3, tzinfo=SH)


def _evidence(*values: str) -> OrderEvidence:
    ev = OrderEvidence()
    for v in values:
        ev.add(v)
    return ev


def test_one_unambiguous_value_decides_the_column() -> None:
    assert infer_orders({"a": _evidence("1/5/2024", "13/5/2024")}, None, "f") == {"a": "dmy"}
    assert infer_orders({"a": _evidence("1/5/2024", "5/13/2024")}, None, "f") == {"a": "mdy"}
    assert infer_orders({"a": _evidence("2024-01-05")}, None, "f") == {"a": None}


def test_an_ambiguous_column_borrows_the_files_agreed_order_or_fails() -> None:
    got = infer_orders({"a": _evidence("13/5/2024"), "b": _evidence("1/5/2024")}, None, "f")
    assert got == {"a": "dmy", "b": "dmy"}
    with pytest.raises(TimeFormatError, match=r"column 'b'.*--date-order"):
        infer_orders({"b": _evidence("1/5/2024")}, None, "f")
    with pytest.raises(TimeFormatError, match="mixes day-first"):
        infer_orders({"a": _evidence("13/5/2024", "5/13/2024")}, None, "f")
    assert infer_orders({"b": _evidence("1/5/2024")}, "mdy", "f") == {"b": "mdy"}
