"""The event objects of a JSON batch (``{"events": [...]}``) with each one's own text.

The inbox keeps every record as the integration sent it (``raw``). Parsing the body and encoding
each object again costs more per event than storing it; the text of the object is already in
the body. :func:`event_records` reads the body once with the standard library's scanner (the C
one ``json.loads`` uses) and slices each element of ``events`` out of it: the text parses to
exactly the object returned beside it.

Only for a body the batch schema has already accepted (valid JSON, an object with an
``events`` array of objects); anything else raises ``ValueError``.

:func:`plain_batch` reads a body *before* any schema has seen it, for the endpoint's one pass
(validate the objects it returns, build the inbox rows from them): it answers only for the
plain shape, ``{"events": [...]}`` and nothing else, and returns None for anything where the
standard library's reading could differ from the schema's own JSON parser (pydantic's): another
top-level key (which that parser reads and this one skips), ``NaN`` or ``Infinity``, an escaped
surrogate (``\\ud800``: Python takes a lone one, pydantic refuses it), text after the object,
nesting too deep, malformed JSON. The caller then validates the body as before, which gives
its refusal in the schema's words. So this reader only ever narrows what takes the quick way.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["event_records", "plain_batch"]

_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")
_AFTER_ELEMENT = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_scan_strict = json.JSONDecoder(parse_constant=_no_constant).scan_once  # type: ignore[attr-defined]


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _expect(text: str, at: int, char: str) -> int:
    if text[at : at + 1] != char:
        raise ValueError(f"expected {char!r} at {at}")
    return at + 1


def _events(text: str, at: int, scan: Any = _scan) -> tuple[list[tuple[dict[str, Any], str]], int]:
    """The array starting at ``at``: each element with its text, and where the array ends."""
    out: list[tuple[dict[str, Any], str]] = []
    append, after = out.append, _AFTER_ELEMENT.match  # once per event: no lookups in the loop
    at = _skip(text, _expect(text, at, "["))
    if text[at : at + 1] == "]":
        return out, at + 1
    while True:
        value, end = scan(text, at)
        if type(value) is not dict:
            raise ValueError(f"an event at {at} is not an object")
        append((value, text[at:end]))
        match = after(text, end)  # the comma or the closing bracket, and the space around it
        if match is None:
            raise ValueError(f"expected ',' or ']' at {end}")
        if match.group(1) == "]":
            return out, match.end()
        at = match.end()


def event_records(body: bytes | str) -> list[tuple[dict[str, Any], str]]:
    """Each element of the body's ``events`` with its JSON text as the body spells it (of the
    last ``events`` key, as ``json.loads`` would keep)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    records: list[tuple[dict[str, Any], str]] | None = None
    try:
        at = _skip(text, _expect(text, _skip(text, 0), "{"))
        if text[at : at + 1] != "}":
            while True:
                key, at = _scan(text, at)
                at = _skip(text, _expect(text, _skip(text, at), ":"))
                if key == "events":
                    records, at = _events(text, at)
                else:
                    _, at = _scan(text, at)
                at = _skip(text, at)
                if text[at : at + 1] == "}":
                    break
                at = _skip(text, _expect(text, at, ","))
    except StopIteration as exc:  # the scanner's way of saying "no value here"
        raise ValueError(f"malformed JSON at {exc.value}") from None
    if records is None:
        raise ValueError("the body has no events")
    return records


def plain_batch(body: bytes) -> list[tuple[dict[str, Any], str]] | None:
    """:func:`event_records` of a body that is exactly ``{"events": [objects]}`` (whitespace
    aside) read the same by this module and by pydantic's JSON parser; None for any other
    body (see the module: the caller then validates the body itself)."""
    try:
        text = body.decode("utf-8")
        if _SURROGATE.search(text):
            return None
        at = _skip(text, _expect(text, _skip(text, 0), "{"))
        key, at = _scan_strict(text, at)
        if key != "events":
            return None
        at = _skip(text, _expect(text, _skip(text, at), ":"))
        records, at = _events(text, at, _scan_strict)
        at = _skip(text, _expect(text, _skip(text, at), "}"))
    except (ValueError, StopIteration, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return records if at == len(text) else None
