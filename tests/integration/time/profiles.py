"""Synthetic platform profiles for the time tests, written to an operator rules directory.

The shipped profiles count calendar hours only; these use the China working-day calendar (the
operator feature a real platform's "N working days" needs) and a one-fine-a-day cap, so the
tests can pin what the calendar and the shop's local day and week decide at their boundaries
(``dailycap``: one ¥10 fine a shop-day, one point a shop-week).
"""

from __future__ import annotations

from pathlib import Path

from lanshou.enforcement.rules_context import RulesContext

_PROV = '{source: "time tests", as_of: 2026-12-01}'
_CONSEQUENCES = f"""
    consequences:
      compensation: {{base: amount, provenance: {_PROV}, tiers: [{{fixed: "3.00"}}]}}
      fine: {{amount: "10.00", max_per_order: 2, max_per_shop_per_day: "10.00",
              provenance: {_PROV}}}"""
WORKDAYS = f"""
name: workdays
timezone: Asia/Shanghai
calendar: china
provenance: {_PROV}
pickup_statuses: [picked_up, in_transit, out_for_delivery, delivered, returned]
rules:
  - id: ship_timeout
    label_zh: 发货超时
    label_en: Late shipment
    provenance: {_PROV}
    start: paid_at
    duration: {{hours: 1, unit: working_days}}
    satisfied_by: shipped_at{_CONSEQUENCES}
  - id: pickup_timeout
    label_zh: 揽收超时
    label_en: Pickup timeout
    provenance: {_PROV}
    start: shipped_at
    duration: {{hours: 4, unit: working_hours, working_windows: {{default: ["09:00-18:00"]}}}}
    satisfied_by: first_pickup{_CONSEQUENCES}
appeal:
  window_days: 7
  max_rounds: 1
  statement_max_chars: 200
  max_images: 5
  review_sla_working_days: 2
  provenance: {_PROV}
"""
DAILY_CAP = f"""
name: dailycap
timezone: Asia/Shanghai
calendar: china
provenance: {_PROV}
pickup_statuses: [picked_up, in_transit, out_for_delivery, delivered, returned]
rules:
  - id: pickup_timeout
    label_zh: 揽收超时
    label_en: Pickup timeout
    provenance: {_PROV}
    start: shipped_at
    duration: {{hours: 24, unit: calendar_hours}}
    satisfied_by: first_pickup{_CONSEQUENCES}
      points: {{per_event: "1", max_per_day: "5", max_per_week: "1", provenance: {_PROV}}}
"""


def rules_with_test_profiles(directory: Path) -> RulesContext:
    """A rules context that knows the built-in profiles plus ``workdays`` and ``dailycap``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "workdays.yaml").write_text(WORKDAYS, encoding="utf-8")
    (directory / "dailycap.yaml").write_text(DAILY_CAP, encoding="utf-8")
    return RulesContext(rules_dirs=(directory,))
