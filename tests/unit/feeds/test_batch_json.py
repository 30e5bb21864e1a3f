"""The JSON batch's events with each one's own text: the raw record the inbox stores."""

from __future__ import annotations

import json

import pytest

from lanshou.feeds import event_records


def test_each_event_comes_with_its_text_as_the_body_spells_it() -> None:
    body = (
        '{ "events" : [ {"carrier": "顺丰", "waybill": "sf1", "time": "2026-11-01T14:05:00+08:00",'
        ' "status": "picked_up"} ,\n\t{"carrier":"ZTO","waybill":"Z\\u00e92","time":'
        '"2026-11-01T15:00:00Z","status":"in_transit","description":"a \\"quoted\\" [x], {y}"}'
        " ] }"
    ).encode()
    records = event_records(body)
    assert [text for _, text in records] == [
        '{"carrier": "顺丰", "waybill": "sf1", "time": "2026-11-01T14:05:00+08:00",'
        ' "status": "picked_up"}',
        '{"carrier":"ZTO","waybill":"Z\\u00e92","time":"2026-11-01T15:00:00Z",'
        '"status":"in_transit","description":"a \\"quoted\\" [x], {y}"}',
    ]
    assert [obj for obj, _ in records] == json.loads(body)["events"]
    assert [json.loads(text) for _, text in records] == json.loads(body)["events"]


def test_other_keys_are_skipped_and_the_last_events_key_counts_as_json_loads_keeps_it() -> None:
    body = (
        '{"batch": {"events": [{"a": 1}]}, "events": [{"b": 2}], "n": [1, 2], "events": [{"c": 3}]}'
    )
    assert event_records(body) == [({"c": 3}, '{"c": 3}')]
    assert event_records('{"events": []}') == []
    assert event_records(' {"x": null , "events" : [ ] } ') == []


@pytest.mark.parametrize(
    "body",
    [
        '{"x": 1}',
        "[]",
        '{"events": [1]}',
        '{"events": [{"a": 1} {"b": 2}]}',
        '{"events": [{"a": }]}',
    ],
)
def test_a_body_that_is_not_a_batch_is_refused(body: str) -> None:
    with pytest.raises(ValueError):
        event_records(body)
