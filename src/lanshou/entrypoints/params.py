"""Bounded input types shared by the JSON API and the pages: nothing out of range reaches SQL.

Databases keep integers in 64 bits and timestamps in a bounded calendar; a larger id, a page
whose OFFSET overflows or a time that cannot be turned into UTC used to fail deep in the driver
(a 500). These types refuse such values where the request is read (422, naming the field), and
the OpenAPI document states the ranges, so clients and fuzzers know them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, AwareDatetime

from lanshou.errors import InvalidInput
from lanshou.i18n.format import DISPLAY_TZ

# The largest integer a JavaScript client holds exactly; far beyond any row count we will store.
MAX_ID = 2**53 - 1
# Past the last page a list is just empty; this bound keeps (page - 1) × 200 rows inside 64 bits.
MAX_PAGE = 1_000_000_000
# Orders, shipments and exemptions of this century: anything else is a typo, and times near the
# ends of the calendar overflow once deadlines add days to them.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# An at-risk reminder further ahead than a week is a typo (and its column is 32 bits).
MAX_LEAD_MINUTES = 7 * 24 * 60

DbId = Annotated[int, Ge(1), Le(MAX_ID)]
Page = Annotated[int, Ge(1), Le(MAX_PAGE)]


_TIME_RANGE = f"from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)"


def _of_this_century(value: datetime) -> datetime:
    # Comparing aware times subtracts offsets as timedeltas: safe even at year 1 or 9999.
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be {_TIME_RANGE}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_of_this_century)]
"""A moment with its UTC offset (a naive time is refused), from EARLIEST up to LATEST."""


def bounded_time(name: str, value: datetime) -> datetime:
    """A time read from a form by hand: InvalidInput naming the field when out of range."""
    try:
        return _of_this_century(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be {_TIME_RANGE}", field=name) from exc


def local_form_time(name: str, value: str) -> datetime | None:
    """A ``datetime-local`` form value, read as Beijing time (the pages' time zone); None when
    left empty. InvalidInput naming the field when it is not a time or out of range."""
    if not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip()).replace(tzinfo=DISPLAY_TZ)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a date and time", field=name) from exc
    return bounded_time(name, when)


def whole_number(value: str, upper: int = MAX_ID) -> int | None:
    """``value`` as an integer from 1 to ``upper``, or None.

    ``isdigit`` would pass "²", which ``int`` refuses, and ``int`` refuses over 4,300 digits:
    both were 500s. Only decimal digits, and no more than the bound can have, are converted.
    """
    if not value.isdecimal() or len(value) > len(str(upper)):
        return None
    number = int(value)
    return number if 1 <= number <= upper else None


def bounded_int(name: str, value: str | None, upper: int = MAX_ID) -> int | None:
    """A form or query field typed as text (empty means "any"): 1‥``upper`` or InvalidInput."""
    if not value:
        return None
    number = whole_number(value, upper)
    if number is None:
        raise InvalidInput(f"{name} must be a whole number from 1 to {upper}", field=name)
    return number
