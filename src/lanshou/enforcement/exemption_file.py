"""Platform events from a file, for ``lanshou check --exemptions FILE`` (no database).

The file holds what ``POST /api/exemptions`` accepts, as a JSON or YAML list: ``starts_at`` and
``ends_at`` (ISO 8601 with an offset), ``reason``, ``effect`` (exempt or extend),
``provinces`` and ``carrier_codes``. Each entry is validated as a declared event is and applies
as an approved one, named ``event-<n>`` in file order as the database names its rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from lanshou.domain.rules.exemptions import Exemption
from lanshou.enforcement.exemptions import ExemptionRequest
from lanshou.errors import InvalidInput

__all__ = ["load_exemptions_file"]

_KEYS = frozenset({"starts_at", "ends_at", "reason", "effect", "provinces", "carrier_codes"})


def _instant(entry: dict[str, Any], key: str, where: str) -> datetime:
    value = entry.get(key)
    try:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{where}: {key}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"{where}: {key}: {value!r} needs an offset, e.g. +08:00")
    return parsed


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where}: {key}: give a list of names")
    return tuple(value)


def _exemption(n: int, entry: object, file: Path) -> Exemption:
    where = f"{file}: entry {n}"
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where}: an exemption is a mapping of starts_at, ends_at, reason …")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(unknown)}")
    req = ExemptionRequest(
        starts_at=_instant(entry, "starts_at", where),
        ends_at=_instant(entry, "ends_at", where),
        reason=str(entry.get("reason", "")),
        effect=str(entry.get("effect", "exempt")),
        provinces=_strings(entry, "provinces", where),
        carrier_codes=_strings(entry, "carrier_codes", where),
    )
    try:
        req.validate()
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from exc
    return Exemption(
        id=f"event-{n}",
        kind="platform_event",
        valid_from=req.starts_at,
        valid_to=req.ends_at,
        mode="extend" if req.effect == "extend" else "exempt",
        provinces=frozenset(req.provinces) or None,
        carriers=frozenset(c.upper() for c in req.carrier_codes) or None,
        reason=req.reason.strip(),
    )


def load_exemptions_file(path: Path) -> list[Exemption]:
    """The file's exemptions; InvalidInput naming the entry and the key for anything wrong."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: neither JSON nor YAML ({exc})") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: give a list of exemptions")
    return [_exemption(n, entry, path) for n, entry in enumerate(data, start=1)]
