"""Times written by the bulk writer: on PostgreSQL COPY takes them as ISO text (psycopg's own
dumping of a datetime costs several times more); the instant stored must be the same as through
the ORM, whatever the offset it came with, and a naive time is still refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.bulk import insert_many, write_rows
from lanshou.adapters.db.models import TrackingReceipt

CST = timezone(timedelta(hours=8))
RECEIPTS = cast(Table, TrackingReceipt.__table__)
COLUMNS = ("source", "received_at", "accepted", "unknown_carriers", "judged", "stored", "unmatched")


def _stored(session: Session) -> list[tuple[str, datetime, datetime | None]]:
    query = select(TrackingReceipt.source, TrackingReceipt.received_at, TrackingReceipt.judged_at)
    return [tuple(r) for r in session.execute(query.order_by(TrackingReceipt.source))]  # type: ignore[misc]


def test_times_of_any_offset_are_stored_as_the_same_instant(session: Session) -> None:
    at = datetime(2026, 11, 1, 14, 5, 7, 250000, tzinfo=CST)
    conn = session.connection()
    write_rows(
        conn,
        RECEIPTS,
        (*COLUMNS, "judged_at"),
        [
            ("a", at, 1, 0, 0, 0, 0, None),
            ("b", datetime(2026, 11, 1, tzinfo=UTC), 1, 0, 0, 0, 0, at),
        ],
    )
    insert_many(
        conn,
        RECEIPTS,
        [dict(zip((*COLUMNS, "judged_at"), ("c", at, 1, 0, 0, 0, 0, at), strict=True))],
    )
    session.commit()
    assert _stored(session) == [
        ("a", datetime(2026, 11, 1, 6, 5, 7, 250000, tzinfo=UTC), None),
        (
            "b",
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 1, 6, 5, 7, 250000, tzinfo=UTC),
        ),
        (
            "c",
            datetime(2026, 11, 1, 6, 5, 7, 250000, tzinfo=UTC),
            datetime(2026, 11, 1, 6, 5, 7, 250000, tzinfo=UTC),
        ),
    ]


def test_a_naive_time_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        write_rows(
            session.connection(), RECEIPTS, COLUMNS, [("a", datetime(2026, 11, 1), 1, 0, 0, 0, 0)]
        )
