"""A platform profile whose only rule has an id no code knows (``cold_chain_pickup``): what the
product shows and decides about it must come from this file alone."""

from __future__ import annotations

from pathlib import Path

NAME = "coldchain"
RULE_ID = "cold_chain_pickup"
LABEL_ZH = "冷链揽收超时"
LABEL_EN = "Cold-chain pickup late"
_PROV = '{source: "label tests", as_of: 2026-12-01}'
PROFILE = f"""
name: {NAME}
timezone: Asia/Shanghai
calendar: china
provenance: {_PROV}
pickup_statuses: [picked_up, in_transit, out_for_delivery, delivered, returned]
rules:
  - id: {RULE_ID}
    label_zh: {LABEL_ZH}
    label_en: {LABEL_EN}
    provenance: {_PROV}
    start: shipped_at
    duration: {{hours: 12, unit: calendar_hours}}
    satisfied_by: first_pickup
appeal:
  window_days: 7
  max_rounds: 1
  statement_max_chars: 200
  max_images: 5
  review_sla_working_days: 2
  provenance: {_PROV}
"""


def write_profile(directory: Path) -> Path:
    """``directory`` as an operator rules directory holding the profile."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{NAME}.yaml").write_text(PROFILE, encoding="utf-8")
    return directory
