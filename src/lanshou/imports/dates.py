"""Parse times as exports really write them, and infer day/month order per column.

Accepted: ISO 8601 with or without offset (``T`` or space; the offset as ``Z``, ``+08:00``,
``+0800``, ``+08`` or ``-05``, a space before it allowed), ``2024/1/5 8:03``,
``2024年1月5日 8:03``, Unix seconds or milliseconds, spreadsheet round trips such as
``1/5/2024 8:03`` or ``5/1/2024 8:03 PM`` (the day/month order of these is the only ambiguity),
and native spreadsheet datetimes. Times without an offset are local to the profile's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal

from lanshou.batch import Reason
from lanshou.i18n import N_

DateOrder = Literal["ymd", "mdy", "dmy"]
DATE_ORDERS: tuple[DateOrder, ...] = ("ymd", "mdy", "dmy")

_TIME = r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*([AaPp][Mm])?)?"
# Z, +08:00, +0800, +08, -05 (hours only), UTC/GMT; a space before it is allowed.
_OFFSET = r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?"
YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + _OFFSET + "$")
YEAR_LAST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME + _OFFSET + "$")
EPOCH = re.compile(r"^\d{9,14}(?:\.\d+)?$")
# The shape nearly every export writes (``2024-01-05 08:03[:07]``, ASCII digits): parsed by the
# C `fromisoformat` instead of the general pattern. Same result; anything else, or an invalid
# date, takes the general path, which also words the error.
PLAIN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?")
# ... and what machine-written files (``isoformat()``, feeds, tracking exports) carry: the same
# with ``Z`` or ``+08:00``, parsed by `fromisoformat` with its offset.
_PLAIN_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
# The time shapes below are the one definition both readers use: `sql_time` translates these
# patterns and this table into DuckDB SQL for the CSV fast path.
CJK_TIME = {"年": "-", "月": "-", "日": " ", "时": ":", "分": " ", "秒": " "}
_CJK = str.maketrans(CJK_TIME)


class TimeFormatError(ValueError):
    """A value that is not a time in any accepted form; ``reason`` words it in any language."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text("en"))
        self.reason = reason


# What `datetime(...)` says of an impossible date or time, in words the catalogue translates.
_RANGE_ERRORS = {
    "day is out of range for month": N_("day is out of range for month"),
    "month must be in 1..12": N_("month must be in 1..12"),
    "hour must be in 0..23": N_("hour must be in 0..23"),
    "minute must be in 0..59": N_("minute must be in 0..59"),
    "second must be in 0..59": N_("second must be in 0..59"),
}
_YEAR_RANGE = re.compile(r"year (-?\d+) is out of range")


def _range_error(exc: ValueError) -> Reason:
    text = str(exc)
    if text in _RANGE_ERRORS:
        return Reason.of("bad_time", _RANGE_ERRORS[text])
    year = _YEAR_RANGE.fullmatch(text)
    if year:
        return Reason.of("bad_time", N_("year %(year)s is out of range"), year=year[1])
    return Reason.of("bad_time", "%(detail)s", detail=text)  # Python's own words, untranslated


def ambiguity(text: str) -> tuple[int, int] | None:
    """(first, second) numbers of a year-last date like ``1/5/2024``; None for other forms."""
    m = YEAR_LAST.match(text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def _offset(raw: str | None, default: tzinfo) -> tzinfo:
    if raw is None:
        return default
    if raw in ("Z", "z", "UTC", "GMT"):
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimeFormatError(
            Reason.of("bad_time", N_("'%(value)s' is not a UTC offset"), value=raw)
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(y: int, mo: int, d: int, groups: tuple[str | None, ...], tz: tzinfo) -> datetime:
    hh, mm, ss, frac, ampm, off = groups
    hour = int(hh) if hh else 0
    if ampm:
        if not 1 <= hour <= 12:
            raise TimeFormatError(Reason.of("bad_time", N_("hour must be 1-12 with AM/PM")))
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    micro = int((frac or "0").ljust(6, "0")) if frac else 0
    try:
        naive = datetime(y, mo, d, hour, int(mm or 0), int(ss or 0), micro)  # noqa: DTZ001
    except ValueError as exc:
        raise TimeFormatError(_range_error(exc)) from exc
    return naive.replace(tzinfo=_offset(off, tz))


def parse_time(value: object, tz: tzinfo, order: DateOrder | None = None) -> datetime | None:
    """A timezone-aware datetime, None for an empty value; TimeFormatError if unparseable.

    `order` settles ``a/b/yyyy`` dates; without it an ambiguous one (both ≤ 12, different) is an
    error, since guessing would silently move the deadline by months.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if type(value) is str:
        plain = value.strip()
        if PLAIN.fullmatch(plain):
            try:
                return datetime.fromisoformat(plain).replace(tzinfo=tz)
            except ValueError:
                pass  # e.g. 2024-02-30: the general path below words the error
        elif _PLAIN_OFFSET.fullmatch(plain):
            try:
                return datetime.fromisoformat(plain)
            except ValueError:
                pass  # e.g. +25:00: likewise
    text = str(value).strip().translate(_CJK).strip()
    if not text:
        return None
    if EPOCH.match(text):
        number = float(text)
        seconds = number / 1000 if len(text.split(".")[0]) >= 12 else number
        return datetime.fromtimestamp(seconds, UTC)
    m = YEAR_FIRST.match(text)
    if m:
        return _build(int(m[1]), int(m[2]), int(m[3]), m.groups()[3:], tz)
    m = YEAR_LAST.match(text)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if order is None:
            order = "dmy" if a > 12 else "mdy" if b > 12 or a == b else None
        if order is None:
            raise TimeFormatError(
                Reason.of("bad_time", N_("'%(value)s': day/month order is ambiguous"), value=text)
            )
        month, day = (b, a) if order == "dmy" else (a, b)
        return _build(year, month, day, m.groups()[3:], tz)
    raise TimeFormatError(Reason.of("bad_time", N_("'%(value)s' is not a time"), value=text))


@dataclass
class OrderEvidence:
    """What one column's values say about its day/month order."""

    dmy: int = 0  # values whose first number > 12
    mdy: int = 0  # values whose second number > 12
    ambiguous: int = 0  # a/b/yyyy values with both numbers ≤ 12 and a ≠ b
    first_dmy: str | None = None
    first_mdy: str | None = None

    def add(self, value: object) -> None:
        if isinstance(value, datetime) or value is None:
            return
        pair = ambiguity(str(value))
        if pair is None:
            return
        a, b = pair
        if a > 12:
            self.dmy += 1
            self.first_dmy = self.first_dmy or str(value)
        elif b > 12:
            self.mdy += 1
            self.first_mdy = self.first_mdy or str(value)
        elif a != b:
            self.ambiguous += 1

    def decided(self) -> DateOrder | None:
        if self.dmy and not self.mdy:
            return "dmy"
        if self.mdy and not self.dmy:
            return "mdy"
        return None


def infer_orders(
    evidence: dict[str, OrderEvidence], forced: DateOrder | None, file: str
) -> dict[str, DateOrder | None]:
    """The order to parse each column with; raises TimeFormatError naming the column if unsure.

    Each column decides from its own values. A column with only ambiguous values borrows the
    order of the other columns of the same file when they all agree; otherwise ``--date-order``
    is needed.
    """
    if forced is not None:
        return dict.fromkeys(evidence, forced)
    out: dict[str, DateOrder | None] = {}
    for column, ev in evidence.items():
        if ev.dmy and ev.mdy:
            raise TimeFormatError(
                Reason.of(
                    "mixed_date_order",
                    N_(
                        "%(file)s: column '%(column)s' mixes day-first ('%(dmy)s') and "
                        "month-first ('%(mdy)s') dates; fix the file or pass --date-order"
                    ),
                    file=file,
                    column=column,
                    dmy=ev.first_dmy,
                    mdy=ev.first_mdy,
                )
            )
        out[column] = ev.decided()
    known = {o for o in out.values() if o is not None}
    for column, ev in evidence.items():
        if out[column] is None and ev.ambiguous:
            if len(known) == 1:
                out[column] = next(iter(known))
            else:
                raise TimeFormatError(
                    Reason.of(
                        "ambiguous_date_order",
                        N_(
                            "%(file)s: column '%(column)s' has dates like 1/5/2024 whose "
                            "day/month order cannot be told from the data; pass --date-order "
                            "dmy or --date-order mdy"
                        ),
                        file=file,
                        column=column,
                    )
                )
    return out
