"""Deterministic input files for the crash tests: a generic orders CSV and its tracking CSV.

Orders are spread over two shops and a window of payment times (by default five of the six days
before :data:`NOW`); most are shipped with a waybill. The tracking file picks most of those up
0–39 hours after shipping, so some pickups are late, some never happen and some orders are never
shipped: the import evaluates all of it into deadlines, violations, ledger entries and audit
records.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lanshou.imports import GENERIC_HEADER

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=CST)
CARRIERS = ("SF", "ZTO", "YTO")
_LOCAL = "%Y-%m-%d %H:%M:%S"  # no offset: read in the profile's zone (Asia/Shanghai)


@dataclass(frozen=True)
class Window:
    """When the orders were paid: ``n`` orders spread evenly from ``start`` over ``span``."""

    n: int
    start: datetime = NOW - timedelta(days=6)
    span: timedelta = timedelta(days=5)

    def paid_at(self, i: int) -> datetime:
        return self.start + self.span * i / self.n


def write_orders(path: Path, window: Window) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(GENERIC_HEADER)
        for i in range(window.n):
            paid = window.paid_at(i)
            shipped = i % 10 != 0  # every tenth order is never shipped
            out.writerow(
                [
                    f"CR{i:07d}",
                    "crash-a" if i % 2 else "crash-b",
                    paid.strftime(_LOCAL),
                    f"{19 + i % 80}.90",
                    1 + i % 3,
                    ("浙江", "广东", "新疆")[i % 3],
                    "shipped" if shipped else "paid",
                    (paid + timedelta(hours=2 + i % 5)).strftime(_LOCAL) if shipped else "",
                    CARRIERS[i % 3] if shipped else "",
                    f"WB{i:08d}" if shipped else "",
                ]
            )


def write_tracking(path: Path, window: Window) -> None:
    """A pickup scan for most shipped orders, 0–39 hours after shipping; every seventh order is
    never picked up, and scans after :data:`NOW` have not happened yet."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["carrier", "waybill", "time", "status", "location", "description"])
        for i in range(window.n):
            if i % 10 == 0 or i % 7 == 0:
                continue
            pickup = window.paid_at(i) + timedelta(hours=2 + i % 5 + (i * 13) % 40)
            if pickup <= NOW:
                out.writerow(
                    [
                        CARRIERS[i % 3],
                        f"WB{i:08d}",
                        pickup.strftime(_LOCAL),
                        "picked_up",
                        "杭州",
                        "已揽收",
                    ]
                )
