"""A violation-heavy backfill: a generic orders CSV whose pickup deadlines are long past, and the
tracking CSV of its pickups (issue #12).

Orders of 2,000 shops, paid over the `days` days ending two days before NOW, every one shipped
1–40 h after payment with one of 8 carriers and a waybill. The file lists them by order number,
and the numbers do not follow payment time (a backfill put together from several exports):
consecutive rows lie about 0.618 × `days` apart, so every chunk of the import holds orders of
the whole period and re-allocates the fines of every shop from its first day on. The tracking file
holds one pickup scan for two shipments in three: order i with i % 3 == 1 is picked up 2 h after
shipping (on time), i % 3 == 2 is picked up 30–69 h after shipping (late), i % 3 == 0 never
(a pickup violation still open). Imported tracking first (the scans wait for their waybills),
then the orders: every late or missing pickup becomes a violation with its compensation, fine,
points, ledger entries and audit records while the orders are imported.

    .venv/bin/python bench/backfill.py 300000 /tmp/backfill   # writes orders.csv, tracking.csv
    .venv/bin/python bench/backfill.py 60000 /tmp/backfill 3  # the same orders in 3 shops
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import sys
from pathlib import Path

from world import NOW

from lanshou.imports import GENERIC_HEADER

ORDER_HEADER = GENERIC_HEADER
# (name an order export uses, code a carrier feed uses)
CARRIERS = (
    ("中通", "ZTO"),
    ("圆通", "YTO"),
    ("韵达", "YUNDA"),
    ("申通", "STO"),
    ("极兔", "JT"),
    ("顺丰", "SF"),
    ("邮政", "EMS"),
    ("京东", "JD"),
)
SHOPS = 2_000
PROVINCES = ("浙江", "广东", "江苏", "山东", "河南", "四川", "湖北", "福建")
DAYS = 60
_FMT = "%Y-%m-%d %H:%M:%S"


def _shipment(i: int, n: int, days: int) -> tuple[dt.datetime, dt.datetime]:
    """(paid, shipped) of order i: the i-th of n payments spread evenly over `days` days ending
    two days before NOW, taken in a stride that scatters them (see the module docstring)."""
    stride = int(n * 0.618_034)
    while math.gcd(stride, n) != 1:
        stride += 1
    rank = (i * stride) % n + 1  # a permutation of 1..n
    end = NOW - dt.timedelta(days=2)
    span = days * 86_400
    paid = end - dt.timedelta(seconds=span - span * rank // (n + 1))
    return paid, paid + dt.timedelta(seconds=3600 + (i * 104_729) % (39 * 3600))


def pickup_at(i: int, shipped: dt.datetime) -> dt.datetime | None:
    """Order i's pickup scan: on time, late, or none (see the module docstring)."""
    if i % 3 == 1:
        return shipped + dt.timedelta(hours=2)
    if i % 3 == 2:
        return shipped + dt.timedelta(hours=30 + i % 40)
    return None


def write_orders(n: int, path: Path, days: int = DAYS, shops: int = SHOPS) -> None:
    """The generic orders CSV (local times without offset, as shop exports write them); order i
    belongs to shop (i × 7919) mod `shops` (fewer shops: more orders per shop and day)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ORDER_HEADER)
        for i in range(1, n + 1):
            paid, shipped = _shipment(i, n, days)
            w.writerow(
                [
                    f"B{i:09d}",
                    f"shop{(i * 7919) % shops:04d}",
                    paid.strftime(_FMT),
                    f"{(i * 37) % 50_000 / 100 + 1:.2f}",
                    str(1 + i % 3),
                    PROVINCES[i % len(PROVINCES)],
                    "shipped",
                    shipped.strftime(_FMT),
                    CARRIERS[i % 8][0],
                    f"9{i:011d}",
                ]
            )


def write_tracking(n: int, path: Path, days: int = DAYS) -> int:
    """The pickup scans of the orders file (`carrier,waybill,time,status`); returns their count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("carrier", "waybill", "time", "status"))
        for i in range(1, n + 1):
            picked = pickup_at(i, _shipment(i, n, days)[1])
            if picked is not None:
                w.writerow([CARRIERS[i % 8][1], f"9{i:011d}", picked.isoformat(), "picked_up"])
                count += 1
    return count


def main(argv: list[str]) -> int:
    n, out = int(argv[0]), Path(argv[1])
    shops = int(argv[2]) if len(argv) > 2 else SHOPS
    out.mkdir(parents=True, exist_ok=True)
    write_orders(n, out / "orders.csv", shops=shops)
    scans = write_tracking(n, out / "tracking.csv")
    print(f"{out / 'orders.csv'}: {n} orders; {out / 'tracking.csv'}: {scans} pickup scans")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
