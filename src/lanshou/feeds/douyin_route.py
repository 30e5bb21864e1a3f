"""抖店 package-route callbacks (``/logistics/registerPackageRoute``): callback token, parsing.

What is documented, and what is not:

- The registration takes ``callback_url`` (required) and answers an empty ``data`` (official
  Java SDK ``com.doudian.open.api.logistics_registerPackageRoute``; zsmhub/doudian-sdk
  ``api/logistics_registerPackageRoute``). The public material is **silent** on the body the
  platform then POSTs to that URL and on whether it signs it.
- Assumption: the push carries what the pull of the same family answers —
  ``/logistics/queryPackageRoute`` (zsmhub/doudian-sdk
  ``api/logistics_queryPackageRoute/response``; Java SDK ``TrackRoutesItem``):
  ``{track_no, express, track_routes: [{content, state, state_time, opcode}]}`` with
  ``state_time`` in Unix seconds (example ``1642421380``) and ``opcode`` like
  ``TRANS_ARRIVE``. The node list of ``/logistics/trackNoRouteDetail`` (``route__node_list`` of
  ``{content, timestamp, state, state_description, site_name}``, ``track_info{track_no,
  express}``) is read too, since it may be the same structure; a body wrapped in ``data`` is
  unwrapped. Anything else is refused as malformed, naming the field.
- Since nothing says how the push is signed, lanshou signs the URL it registers: the callback
  carries the platform's shop id and a token = hex HMAC-SHA256, keyed by the integration's
  secret, of ``shop|waybill``. Only someone who was given that exact URL can post routes for
  that waybill (an ``event-sign`` header, if the platform sends one, is checked as well, by
  :mod:`lanshou.platforms.routes`).
- Statuses: no public list of ``opcode``/``state`` values was found (trackNoRouteDetail points
  to op.jinritemai.com question-docs 94/1642, not public). Only the attested ``TRANS_ARRIVE``
  is mapped; every other node gets its status from its text (:mod:`.traces`), as scans
  without a feed status do, and keeps its opcode and state in ``raw``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lanshou.domain.tracking import TrackingUpdate, normalise_waybill
from lanshou.feeds.errors import MalformedFeed
from lanshou.feeds.traces import Scan, label_trace
from lanshou.orders import CarrierResolver

__all__ = ["OPCODE", "SOURCE", "RoutePush", "callback_token", "parse_route", "verify_token"]

SOURCE = "douyin"

# opcode → normalised status; only codes seen in the public SDKs (see the module docstring).
OPCODE: dict[str, str] = {
    "TRANS_ARRIVE": "in_transit",  # Java SDK TrackRoutesItem example: 快件离开 … 已发往 …
}

# The two node shapes: (list field, time field, text field, location field).
_SHAPES = (
    ("track_routes", "state_time", "content", None),
    ("route__node_list", "timestamp", "content", "site_name"),
    ("route_node_list", "timestamp", "content", "site_name"),
)


def callback_token(secret: str, shop_id: str, waybill: str) -> str:
    """What the registered callback URL carries for this shop's waybill."""
    message = f"{shop_id}|{normalise_waybill(waybill)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_token(secret: str, shop_id: str, waybill: str, token: str) -> bool:
    expected = callback_token(secret, shop_id, waybill)
    return hmac.compare_digest(expected.encode(), token.strip().lower().encode())


@dataclass
class RoutePush:
    waybill: str
    express: str | None
    updates: list[TrackingUpdate] = field(default_factory=list)


def _object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedFeed("body", "not JSON") from exc
    if not isinstance(parsed, dict):
        raise MalformedFeed("body", "an object is required")
    data = parsed.get("data")
    return data if isinstance(data, dict) else parsed


def _time(value: object, path: str) -> datetime:
    """Unix seconds, as a number or a string of digits (both SDKs type it differently)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedFeed(path, "Unix seconds are required")
    text = str(value).strip()
    if not text.isdigit():
        raise MalformedFeed(path, f"{value!r} is not Unix seconds")
    seconds = int(text)
    if seconds > 10**11:  # milliseconds: nothing says which, and a push in 5138 is not real
        seconds //= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _nodes(body: dict[str, Any]) -> tuple[str, str, str, str | None, list[Any]]:
    for name, time_field, text_field, place_field in _SHAPES:
        if name in body:
            nodes = body[name]
            if not isinstance(nodes, list):
                raise MalformedFeed(name, "a list is required")
            return name, time_field, text_field, place_field, nodes
    raise MalformedFeed("track_routes", "the route nodes are missing")


def parse_route(
    body: bytes, carriers: CarrierResolver, platform_codes: Mapping[str, str] | None = None
) -> RoutePush:
    """Every node of the push as a normalised update; the first bad field refuses it all.
    ``express`` is the platform's company code: its stored mapping (``platform_codes``,
    logisticsCompanyList code → lanshou carrier) first, then any known spelling."""
    data = _object(body)
    nested = data.get("track_info")
    info: dict[str, Any] = nested if isinstance(nested, dict) else data
    waybill = normalise_waybill(str(info.get("track_no") or ""))
    if not waybill:
        raise MalformedFeed("track_no", "the waybill number is missing")
    express = str(info.get("express") or "") or None
    name, time_field, text_field, place_field, nodes = _nodes(data)
    scans = []
    for i, node in enumerate(nodes):
        path = f"{name}[{i}]"
        if not isinstance(node, dict):
            raise MalformedFeed(path, "an object is required")
        text = node.get(text_field)
        if not isinstance(text, str) or not text.strip():
            raise MalformedFeed(f"{path}.{text_field}", "the scan text is missing")
        place = node.get(place_field) if place_field else None
        scans.append(
            Scan(
                time=_time(node.get(time_field), f"{path}.{time_field}"),
                text=text.strip(),
                location=place if isinstance(place, str) else None,
                feed_status=OPCODE.get(str(node.get("opcode") or "")),
                raw=node,
            )
        )
    updates = label_trace(
        scans,
        None,
        waybill=waybill,
        carrier_code=(platform_codes or {}).get(express or "") or carriers.code(express),
        source=SOURCE,
        extra_raw={"express": express},
    )
    return RoutePush(waybill=waybill, express=express, updates=updates)
