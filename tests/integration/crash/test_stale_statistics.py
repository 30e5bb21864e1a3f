"""A re-run import replaces the "0 rows" statistics a killed run can leave behind on PostgreSQL.

A VACUUM or ANALYZE (autovacuum's) that runs while a table holds only a killed run's dead rows,
or a re-run's uncommitted ones, stores ``reltuples = 0`` on ``relpages > 0``; the planner then
takes the table for empty however large it grows, and the evaluation's joins of violations with
shipments and orders ran for minutes (issue #12). Here the killed run is a rolled-back
transaction and autovacuum is off for the two tables, so only the import can mend them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.integration.crash.data import NOW, Window, write_orders
from tests.integration.crash.harness import Databases, run

ORDERS = 600  # one chunk; each order has one shipment (the unshipped ones too, not yet sent)
DEAD = 3000  # the killed run's rows, more than the import writes


def _leave_zero_row_statistics(engine: Engine) -> None:
    """A killed run's orders and shipments, analyzed while in flight, then rolled back."""
    with engine.connect() as admin:
        admin.execute(text("ALTER TABLE orders SET (autovacuum_enabled = false)"))
        admin.execute(text("ALTER TABLE shipments SET (autovacuum_enabled = false)"))
        platform = admin.execute(
            text("INSERT INTO platforms (code, name, profile) VALUES ('k', 'k', 'k') RETURNING id")
        ).scalar_one()
        shop = admin.execute(
            text("INSERT INTO shops (platform_id, code, name) VALUES (:p, 'k', 'k') RETURNING id"),
            {"p": platform},
        ).scalar_one()
    with engine.connect().execution_options(isolation_level="READ COMMITTED") as killed:
        in_flight = killed.begin()
        killed.execute(
            text(
                "INSERT INTO orders (shop_id, external_id, status, paid_at, amount_fen, "
                "quantity, created_at, updated_at) "
                "SELECT :s, 'K' || g, 'paid', now(), 100, 1, now(), now() "
                "FROM generate_series(1, :n) AS g"
            ),
            {"s": shop, "n": DEAD},
        )
        killed.execute(
            text(
                "INSERT INTO shipments (order_id, key, status, feed_stalled, amount_fen) "
                "SELECT id, external_id, 'created', false, 100 FROM orders"
            )
        )
        with engine.connect() as autovacuum:
            autovacuum.execute(text("ANALYZE orders, shipments"))
        in_flight.rollback()


def _statistics(engine: Engine) -> dict[str, tuple[float, bool]]:
    """Each table's stored row count, and whether it lies on pages (relpages > 0)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, reltuples, relpages > 0 FROM pg_class "
                "WHERE relname IN ('orders', 'shipments')"
            )
        )
        return {name: (reltuples, paged) for name, reltuples, paged in rows}


@pytest.mark.parametrize("databases", ["postgresql"], indirect=True)
def test_import_after_a_killed_run_leaves_statistics_that_count_its_rows(
    tmp_path: Path, databases: Databases
) -> None:
    db = databases.fresh("db")
    engine = db.engine().execution_options(isolation_level="AUTOCOMMIT")
    try:
        _leave_zero_row_statistics(engine)
        assert _statistics(engine) == {"orders": (0.0, True), "shipments": (0.0, True)}
        write_orders(tmp_path / "orders.csv", Window(ORDERS))
        orders = str(tmp_path / "orders.csv")
        run(
            db,
            ["import", "orders", orders, "--source", "generic", "--now", NOW.isoformat()],
            tmp_path,
        )
        # ANALYZE in the chunk's transaction counted its own rows, and only those: the killed
        # run's are dead.
        assert _statistics(engine) == {
            "orders": (float(ORDERS), True),
            "shipments": (float(ORDERS), True),
        }
    finally:
        engine.dispose()
