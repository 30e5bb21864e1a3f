"""The real Olist sample imports with the counts a plain SQL join over the CSVs gives."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.models import (
    Order,
    OrderItem,
    Platform,
    Shipment,
    Shop,
    TrackingEvent,
    Violation,
)
from lanshou.imports import import_orders
from tests.integration.imports.helpers import CTX, NOW, count
from tests.integration.imports.olist_files import OLIST, write_spreadsheet_round_trip


def _expected() -> dict[str, int]:
    """Plain sqlite over csv-module rows; shares no code with the importer."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE o (order_id, status, carrier)")
    db.execute("CREATE TABLE i (order_id, seller_id, product_id, limit_at)")
    with (OLIST / "olist_orders_dataset.csv").open(newline="", encoding="utf-8") as fh:
        db.executemany(
            "INSERT INTO o VALUES (?,?,?)",
            [
                (r["order_id"], r["order_status"], r["order_delivered_carrier_date"] or None)
                for r in csv.DictReader(fh)
            ],
        )
    with (OLIST / "olist_order_items_dataset.csv").open(newline="", encoding="utf-8") as fh:
        db.executemany(
            "INSERT INTO i VALUES (?,?,?,?)",
            [
                (r["order_id"], r["seller_id"], r["product_id"], r["shipping_limit_date"])
                for r in csv.DictReader(fh)
            ],
        )
    q = """
    WITH s AS (SELECT i.order_id, i.seller_id, min(i.limit_at) AS lim, o.status, o.carrier
               FROM i JOIN o ON o.order_id = i.order_id GROUP BY i.order_id, i.seller_id)
    SELECT (SELECT count(*) FROM s),
           (SELECT count(*) FROM (SELECT DISTINCT i.order_id, i.seller_id, i.product_id
                                  FROM i JOIN o ON o.order_id = i.order_id)),
           (SELECT count(*) FROM o WHERE order_id NOT IN (SELECT order_id FROM i)),
           (SELECT count(DISTINCT order_id) FROM i WHERE order_id NOT IN (SELECT order_id FROM o)),
           (SELECT count(*) FROM s WHERE carrier IS NOT NULL),
           (SELECT count(DISTINCT seller_id) FROM s),
           (SELECT count(*) FROM s WHERE status NOT IN ('canceled', 'unavailable')
              AND (carrier > lim OR carrier IS NULL))
    """
    names = [
        "orders",
        "items",
        "orders_without_items",
        "items_without_orders",
        "pickups",
        "shops",
        "late",
    ]
    return dict(zip(names, db.execute(q).fetchone(), strict=True))


def test_the_olist_sample_imports_with_independently_computed_counts(
    sessions: sessionmaker[Session],
) -> None:
    expected = _expected()
    summary = import_orders(sessions, OLIST, source="olist", now=NOW, ctx=CTX)

    assert summary.inserted == expected["orders"]
    assert summary.orders_without_items == expected["orders_without_items"]
    assert summary.items_without_orders == expected["items_without_orders"]
    assert summary.rejected == 0
    assert count(sessions, Order) == expected["orders"]
    assert count(sessions, Shipment) == expected["orders"]
    assert count(sessions, OrderItem) == expected["items"]
    assert count(sessions, Shop) == expected["shops"]
    assert count(sessions, TrackingEvent) == expected["pickups"]
    assert count(sessions, Violation) == expected["late"]
    assert expected["late"] > 0 and expected["orders_without_items"] > 0
    with sessions() as s:
        assert s.execute(select(Platform.code, Platform.profile)).all() == [("olist", "olist")]
        keys = s.execute(select(Shipment.key).limit(3)).scalars().all()
        assert all(len(k) == 65 and k[32] == ":" for k in keys)
        picked = s.execute(select(func.count()).where(Shipment.status == "picked_up")).scalar_one()
        assert picked == expected["pickups"]


def test_importing_the_olist_sample_twice_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    first = import_orders(sessions, OLIST, source="olist", now=NOW, ctx=CTX)
    events = count(sessions, TrackingEvent)
    again = import_orders(sessions, OLIST, source="olist", now=NOW, ctx=CTX)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
    assert again.pickup_events == 0
    assert count(sessions, TrackingEvent) == events
    assert count(sessions, Order) == first.inserted


def test_the_olist_files_after_a_spreadsheet_round_trip_import(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    orders, items = write_spreadsheet_round_trip(tmp_path, 300)
    ids = {r[0] for r in orders[1:]}

    summary = import_orders(
        sessions,
        tmp_path / "orders.csv",
        items=tmp_path / "items.csv",
        source="olist",
        now=NOW,
        ctx=CTX,
    )

    pairs = {(r[0], r[3]) for r in items[1:]}
    assert (summary.inserted, summary.rejected, summary.items_without_orders) == (len(pairs), 0, 0)
    assert summary.orders_without_items == len(ids - {r[0] for r in items[1:]})
    with_items = {r[0] for r in items[1:]}
    first = next(r for r in orders[1:] if r[0] in with_items)
    sao_paulo = CTX.profile("olist").tz
    with sessions() as s:
        paid = s.execute(
            select(Order.paid_at).where(Order.external_id == first[0]).limit(1)
        ).scalar_one()
    local = paid.astimezone(sao_paulo)
    assert f"{local.month}/{local.day}/{local.year} {local.hour}:{local:%M}" == first[3]
