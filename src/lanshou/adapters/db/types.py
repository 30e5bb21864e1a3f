"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a time whose offset pushes it past year 1 or 9999 is refused
    by name instead of surfacing as the driver's OverflowError."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value!r} is outside the range of UTC timestamps") from exc


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes: stored as UTC, always returned aware.

    SQLite has no time zone type, so we store naive UTC there and re-attach UTC on the way out;
    PostgreSQL gets ``timestamptz``. Naive datetimes are refused: they are always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    # SQLite keeps naive UTC as ISO text ("YYYY-MM-DD HH:MM:SS.ffffff", SQLAlchemy's storage
    # format). Converting in one step instead of two chained processors (a regex parse, then
    # re-attaching UTC) matters on the event path, which reads and writes hundreds of
    # thousands of timestamps; the text written is exactly what SQLAlchemy writes.

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if not isinstance(value, datetime):
                raise TypeError(f"{self.__class__.__name__} takes datetimes, not {value!r}")
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r} given to a timezone-aware column")
            if value.tzinfo is not UTC:
                value = as_utc(value)
            # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without the offset: 26 characters.
            return value.isoformat(" ", "microseconds")[:26]

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        slow = super().result_processor(dialect, coltype)
        parse = datetime.fromisoformat

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if type(value) is str:
                try:
                    # Naive UTC text: parsing it with the offset is much cheaper than .replace().
                    return parse(value + "+00:00")
                except ValueError:
                    pass  # another spelling (an offset, a bare date): the general path
            return cast(datetime | None, slow(value) if slow is not None else value)

        return process


class JSONDocument(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())
