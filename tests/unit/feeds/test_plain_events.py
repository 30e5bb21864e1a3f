"""The batch endpoint's one pass (`plain_events`) against the schema it stands in for.

Whatever the one pass takes, ``TrackingBatchIn.model_validate_json`` must take too, with the same
values, and each event's text must be the body's; whatever it leaves (None), the endpoint reads
as before, so its refusals stay the schema's words. It may leave more than the schema refuses
(a body of another shape), never take what the schema refuses.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from lanshou.entrypoints.api.schemas_tracking import (
    MAX_EVENTS,
    BatchRecord,
    TrackingBatchIn,
    plain_events,
)
from lanshou.feeds import event_records, plain_batch

EVENT = {
    "carrier": "顺丰",
    "waybill": "SF1001",
    "time": "2026-11-01T14:05:00+08:00",
    "status": "picked_up",
}


def _schema(body: bytes) -> list[BatchRecord] | None:
    """What the endpoint made of a body before the one pass (None: refused, a 422)."""
    try:
        batch = TrackingBatchIn.model_validate_json(body)
    except ValidationError:
        return None
    return [
        (e.carrier, e.waybill, e.time, e.status, e.location, e.description, text)
        for e, (_, text) in zip(batch.events, event_records(body), strict=True)
    ]


def _same(body: bytes) -> list[BatchRecord] | None:
    """The one pass's reading, checked against the schema's; returns the one pass's."""
    quick, slow = plain_events(body), _schema(body)
    if quick is not None:
        assert slow is not None, body
        assert quick == slow, body
        # Equal datetimes may still differ in offset; the stored instant and key use UTC,
        # but keep the offsets the same too.
        assert [q[2].utcoffset() for q in quick] == [s[2].utcoffset() for s in slow]
        assert [q[2].astimezone(UTC) for q in quick] == [s[2].astimezone(UTC) for s in slow]
    return quick


def _body(events: list[Any], **top: Any) -> bytes:
    return json.dumps({"events": events, **top}, ensure_ascii=False).encode()


def test_a_plain_batch_takes_the_one_pass_with_the_schemas_values() -> None:
    second = {
        **EVENT,
        "waybill": " zt-9 ",
        "time": "2026-11-01T06:05:00.25Z",
        "status": "in_transit",
        "location": None,
        "description": '到达 "杭州" \\ 中转',
    }
    body = _body([EVENT, second])
    assert _same(body) == [
        (
            "顺丰",
            "SF1001",
            datetime.fromisoformat("2026-11-01T14:05:00+08:00"),
            "picked_up",
            None,
            None,
            json.dumps(EVENT, ensure_ascii=False),
        ),
        (
            "顺丰",
            " zt-9 ",
            datetime(2026, 11, 1, 6, 5, 0, 250000, tzinfo=UTC),
            "in_transit",
            None,
            '到达 "杭州" \\ 中转',
            json.dumps(second, ensure_ascii=False),
        ),
    ]
    assert _same(b'{"events": []}') == []
    assert _same(b' {\n "events" : [ ] } \r\n') == []


@pytest.mark.parametrize(
    "body",
    [
        # another top-level key: read (and checked) by the schema's parser only
        _body([EVENT], batch="x"),
        b'{"events": [], "events": []}',
        # what Python's parser takes and pydantic's refuses, or might
        b'{"events": [{"carrier": "a", "waybill": "b", "time": NaN, "status": "created"}]}',
        b'{"events": [{"carrier": "\\ud800", "waybill": "b", "time": "2026-11-01T00:00:00Z",'
        b' "status": "created"}]}',
        b'{"events": []} x',
        b'{"events": []}{}',
        '{"events": [{"carrier": "\xe9"}]}'.encode("latin-1"),  # not UTF-8
        b"\xef\xbb\xbf" + _body([EVENT]),  # a byte order mark
        b'{"events": [' + b"[" * 2000 + b"]" * 2000 + b"]}",
        # not a batch at all
        b"",
        b"[]",
        b'{"events": {}}',
        b'{"events": [1]}',
        b'{"events": [{"a": 1} {"b": 2}]}',
    ],
)
def test_a_body_of_another_shape_is_left_to_the_schema(body: bytes) -> None:
    assert plain_batch(body) is None
    assert plain_events(body) is None


@pytest.mark.parametrize(
    "event",
    [
        {**EVENT, "time": "2000-01-01T07:59:59+08:00"},  # 1999-12-31 23:59:59 UTC
        {**EVENT, "time": "2099-12-31T23:30:00-01:00"},  # 2100-01-01 00:30 UTC
        {**EVENT, "time": "2026-11-01T14:05:00"},  # no offset
        {**EVENT, "time": "2026-02-30T00:00:00Z"},
        {**EVENT, "time": 1e400},
        {**EVENT, "time": True},
        {**EVENT, "status": "lost"},
        {**EVENT, "carrier": ""},
        {**EVENT, "carrier": "x" * 65},
        {**EVENT, "carrier": 7},
        {**EVENT, "waybill": "SF 1"},
        {**EVENT, "location": "x" * 129},
        {**EVENT, "description": ["a"]},
        {**EVENT, "extra": 1},
        {k: v for k, v in EVENT.items() if k != "time"},
    ],
)
def test_an_event_the_schema_refuses_is_left_to_it(event: dict[str, Any]) -> None:
    body = _body([EVENT, event])
    assert _schema(body) is None  # refused: a 422 in the schema's words
    assert plain_events(body) is None


def test_the_time_range_is_the_schemas_at_both_ends() -> None:
    for time in ("2000-01-01T08:00:00+08:00", "2099-12-31T23:59:59.999999Z", 946684800):
        assert _same(_body([{**EVENT, "waybill": "SF1\n"}])) is not None
        assert _same(_body([{**EVENT, "time": time}])) is not None


def test_too_many_events_are_left_to_the_schema() -> None:
    body = _body([EVENT] * (MAX_EVENTS + 1))
    assert _schema(body) is None
    assert plain_events(body) is None


_text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "SF1", " sf-1 ", "顺丰", "a\\b", "x" * 64, "x" * 65, "\u3000"]),
)
_time = st.one_of(
    st.datetimes(
        min_value=datetime(1999, 12, 30),
        max_value=datetime(2100, 1, 2),
        timezones=st.sampled_from([None, UTC]) | st.timezones(),
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["2026-11-01 14:05:00+08:00", "2026-11-01T14:05Z", "2026-11-01", "20261101T140500Z"]
    ),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
)
_value = st.one_of(st.none(), _text, st.integers(), st.booleans())
_event = st.fixed_dictionaries(
    {
        "carrier": st.one_of(_text, _value),
        "waybill": st.one_of(_text, _value),
        "time": _time,
        "status": st.sampled_from(["created", "picked_up", "delivered", "lost", ""]),
    },
    optional={"location": _value, "description": _value, "other": _value},
)


@settings(max_examples=300, deadline=None)
@given(events=st.lists(_event, max_size=4), ascii_only=st.booleans())
def test_the_one_pass_never_takes_what_the_schema_refuses_nor_reads_it_otherwise(
    events: list[dict[str, Any]], ascii_only: bool
) -> None:
    _same(json.dumps({"events": events}, ensure_ascii=ascii_only).encode())
