"""The public Olist sample, and the same files as a spreadsheet program writes them back."""

from __future__ import annotations

import csv
from pathlib import Path

OLIST = Path("/work/shared/datasets/olist-sample")


def _spreadsheet_time(text: str) -> str:
    """'2017-10-02 10:56:33' as a spreadsheet saves it again: '10/2/2017 10:56'."""
    if not text:
        return text
    day, clock = text.split(" ")
    y, m, d = (int(x) for x in day.split("-"))
    hh, mm, _ = clock.split(":")
    return f"{m}/{d}/{y} {int(hh)}:{mm}"


def write_spreadsheet_round_trip(
    folder: Path, orders_count: int
) -> tuple[list[list[str]], list[list[str]]]:
    """The first ``orders_count`` orders and their items after a spreadsheet round trip (times
    without seconds, month first, two trailing empty rows) as ``orders.csv`` and ``items.csv`` in
    ``folder``; returns their rows (header first, without the empty rows)."""
    with (OLIST / "olist_orders_dataset.csv").open(newline="", encoding="utf-8") as fh:
        orders = list(csv.reader(fh))[: orders_count + 1]
    ids = {r[0] for r in orders[1:]}
    with (OLIST / "olist_order_items_dataset.csv").open(newline="", encoding="utf-8") as fh:
        items = [r for i, r in enumerate(csv.reader(fh)) if i == 0 or r[0] in ids]
    for row in orders[1:]:
        row[3:8] = [_spreadsheet_time(v) for v in row[3:8]]
    for row in items[1:]:
        row[4] = _spreadsheet_time(row[4])
    for name, rows in (("orders.csv", orders), ("items.csv", items)):
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([*rows, [""] * len(rows[0]), [""] * len(rows[0])])
    return orders, items
