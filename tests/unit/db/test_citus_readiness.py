"""The schema stays ready to be distributed by shop on a sharded PostgreSQL (Citus).

Citus splits a *distributed* table into shards by one column (here ``shop_id``) and puts rows of
one shop of every distributed table on the same node, so joins and foreign keys between them
stay local. That works only if:

- every distributed table carries ``shop_id``;
- every primary key and unique key of a distributed table holds ``shop_id`` (a shard can only
  check uniqueness of what it holds);
- every foreign key from a distributed table to another distributed table holds ``shop_id``
  on both sides (co-located rows); a foreign key to a *reference* table (copied to every node)
  is always fine; one to a *local* table (on the coordinator only) never is;
- a reference table refers to reference tables only.

This test reads the models and fails, naming the table and the key, when a table is in no
list below or a key breaks a rule without an entry in ``EXCEPTIONS``. An exception that no
longer applies fails too, so the list shrinks as the schema is fixed. docs/architecture.md
("Beyond one machine") has the plan.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint, Table, UniqueConstraint

from lanshou.adapters.db.models import Base

SHOP = "shop_id"

# Small, shared by every shop, read by the hot paths: copied to every node (reference tables).
REFERENCE = {
    "platforms",  # the selling platforms and their rule profile names
    "shops",  # the tenants themselves: every distributed row points at one
    "carriers",
    "outlets",  # 网点 belong to carriers, not shops: one outlet serves many shops
    "couriers",
    "platform_carrier_codes",  # a platform's carrier codes
    "feed_integrations",  # aggregator accounts (快递100/快递鸟), shared by shops
    "users",  # referenced by created_by/decided_by columns of distributed tables
    "shop_memberships",  # the tenant boundary, read on every request
    "exemptions",  # platform-declared events hold for every shop (shop_id is NULL there)
}

# On the coordinator only: not joined with distributed tables on a hot path.
LOCAL = {
    "audit_events",  # one hash chain, appended under an advisory lock (see EXCEPTIONS)
    "alert_cursors",  # how far the alert collector has read: a handful of rows
    "analytics_state",  # refresh watermarks: a handful of rows
    "analytics_exposure",  # per scope (a set of shops), computed by the worker
    "analytics_breach_risk",  # per scope, like analytics_exposure
    "web_sessions",
    "api_tokens",
    "login_failures",
    "platform_messages",  # pushed messages before they are matched to a shop
    # evidence bytes by SHA-256, shared by every shop that uploads the same file; read by key
    # when a file is served or a dossier built, never joined
    "evidence_blobs",
    "evidence_blob_chunks",
}

# Grow with orders and scans: distributed by shop_id.
DISTRIBUTED = {
    "orders",
    "order_items",
    "shipments",
    "tracking_events",
    "tracking_subscriptions",
    "shop_tracking_feeds",
    "deadlines",
    "deadline_warnings",
    "violations",
    "ledger_entries",
    "fine_marks",  # a shop's fines still to re-allocate: keyed by shop_id alone
    "appeals",
    "appeal_events",
    "evidence",
    "complaints",
    "complaint_tasks",
    "communications",
    "assignments",
    "alert_channels",
    "alert_subscriptions",
    "alert_outbox",
    "alert_deliveries",
    "platform_connections",
    "platform_shipment_calls",
    "analytics_loss_daily",
    "analytics_pickup_daily",
    "analytics_pickup_latency",
    "analytics_pickup_window",
    "analytics_pickup_percentile",  # shop_id 0 holds the all-shops percentiles: one shard
    "analytics_violation_daily",
    "tracking_inbox",
    "tracking_receipts",
    "tracking_receipt_violations",
}

# Child tables reached through their parent (shipment, order, appeal, deadline): adding
# shop_id means filling it on every write path of the table (imports, platform sync, forms,
# the demo seed, the event path) — the first step of the distribution work, not done here.
_NO_SHOP_COLUMN = "no shop_id yet: reached through its parent; every writer must fill it"
# Surrogate ids are the primary keys everywhere; Citus needs (shop_id, id). Changing them
# changes every foreign key that points at the table: one migration per table group, planned
# in docs/architecture.md, not cheap now.
_ID_KEY = "primary key (id): becomes (shop_id, id) with the distribution migration"
# The tracking intake accepts a delivery before anyone knows its shops (a feed's push holds
# waybills of many shops); it is drained within seconds. Distributing it means routing each
# record to its shop at acceptance, which needs the waybill → shop lookup on the accept path.
_INTAKE = "tracking intake: shops unknown when a delivery is accepted; see architecture.md"
# SQLite changes a table's unique constraint by rebuilding the table, and the rebuild inside
# the migration's transaction deletes (ON DELETE CASCADE) or refuses the rows pointing at it.
_REBUILD = "adding shop_id needs a table rebuild on SQLite that cascades to rows pointing at it"

EXCEPTIONS: dict[str, str] = {
    # -- distributed tables without shop_id yet
    **{
        f"{t}: no {SHOP} column": _NO_SHOP_COLUMN
        for t in (
            "order_items",
            "shipments",
            "tracking_events",
            "tracking_subscriptions",
            "deadline_warnings",
            "appeal_events",
            "evidence",
            "platform_shipment_calls",
        )
    },
    **{
        f"{t}: no {SHOP} column": _INTAKE
        for t in ("tracking_inbox", "tracking_receipts", "tracking_receipt_violations")
    },
    # -- surrogate primary keys
    **{
        f"{t}: primary key (id) lacks {SHOP}": _ID_KEY
        for t in (
            "alert_channels",
            "alert_deliveries",
            "alert_outbox",
            "alert_subscriptions",
            "analytics_loss_daily",
            "analytics_pickup_daily",
            "analytics_pickup_latency",
            "analytics_violation_daily",
            "appeal_events",
            "appeals",
            "assignments",
            "communications",
            "complaint_tasks",
            "complaints",
            "deadline_warnings",
            "deadlines",
            "evidence",
            "ledger_entries",
            "order_items",
            "orders",
            "platform_connections",
            "platform_shipment_calls",
            "shipments",
            "tracking_inbox",
            "tracking_receipts",
            "tracking_subscriptions",
            "violations",
        )
    },
    "tracking_events: primary key (id) lacks shop_id": _ID_KEY,
    "tracking_receipt_violations: primary key (receipt_id, violation_id) lacks shop_id": _INTAKE,
    # -- unique keys without shop_id
    "alert_outbox: unique (dedup_key) lacks shop_id": (
        "the alert collector's ON CONFLICT (dedup_key) names it (alerts area); the key already "
        "embeds the event, whose shop is fixed"
    ),
    "deadline_warnings: unique (deadline_id, lead_minutes) lacks shop_id": _NO_SHOP_COLUMN,
    "deadlines: unique (shipment_id, rule_id) lacks shop_id": _REBUILD,
    "violations: unique (shipment_id, rule_id) lacks shop_id": _REBUILD,
    "shipments: unique (order_id, key) lacks shop_id": _NO_SHOP_COLUMN,
    "tracking_events: unique (dedup_key, event_time) lacks shop_id": _NO_SHOP_COLUMN,
    "tracking_subscriptions: unique (integration_id, waybill_no) lacks shop_id": (
        "a waybill is subscribed once per aggregator account, whichever shop marked it"
    ),
    # -- foreign keys between distributed tables without shop_id on both sides
    **{
        f"{t}: foreign key ({c}) -> {r} lacks shop_id": _ID_KEY
        for t, c, r in (
            ("alert_deliveries", "outbox_id", "alert_outbox"),
            ("alert_outbox", "channel_id", "alert_channels"),
            ("alert_subscriptions", "channel_id", "alert_channels"),
            ("appeal_events", "appeal_id", "appeals"),
            ("appeals", "violation_id", "violations"),
            ("communications", "appeal_id", "appeals"),
            ("communications", "order_id", "orders"),
            ("communications", "shipment_id", "shipments"),
            ("communications", "violation_id", "violations"),
            ("complaint_tasks", "complaint_id", "complaints"),
            ("complaints", "order_id", "orders"),
            ("deadline_warnings", "deadline_id", "deadlines"),
            ("deadlines", "shipment_id", "shipments"),
            ("evidence", "appeal_id", "appeals"),
            ("ledger_entries", "reverses_id", "ledger_entries"),
            ("ledger_entries", "violation_id", "violations"),
            ("order_items", "order_id", "orders"),
            ("platform_shipment_calls", "connection_id", "platform_connections"),
            ("platform_shipment_calls", "shipment_id", "shipments"),
            ("shipments", "order_id", "orders"),
            ("tracking_events", "shipment_id", "shipments"),
            ("tracking_subscriptions", "shipment_id", "shipments"),
            ("violations", "order_id", "orders"),
            ("violations", "shipment_id", "shipments"),
        )
    },
    "tracking_inbox: foreign key (receipt_id) -> tracking_receipts lacks shop_id": _INTAKE,
    "tracking_receipt_violations: foreign key (receipt_id) -> tracking_receipts lacks shop_id": (
        _INTAKE
    ),
    "tracking_receipt_violations: foreign key (violation_id) -> violations lacks shop_id": (
        _INTAKE
    ),
    # -- local tables that keep a key a distributed design would split
    "platform_messages: foreign key (connection_id) -> platform_connections is local -> "
    "distributed": "a message is matched to its shop's connection after it is stored",
}


def _columns(columns: object) -> str:
    return ", ".join(c.name for c in columns)  # type: ignore[attr-defined]


def _distributed_problems(table: Table) -> list[str]:
    name = table.name
    found = []
    if SHOP not in table.c:
        found.append(f"{name}: no {SHOP} column")
    for constraint in table.constraints:
        cols = [c.name for c in constraint.columns]
        if isinstance(constraint, PrimaryKeyConstraint) and SHOP not in cols:
            found.append(f"{name}: primary key ({', '.join(cols)}) lacks {SHOP}")
        elif isinstance(constraint, UniqueConstraint) and SHOP not in cols:
            found.append(f"{name}: unique ({', '.join(cols)}) lacks {SHOP}")
        elif isinstance(constraint, ForeignKeyConstraint):
            found.extend(_foreign_key_problems(name, constraint, cols))
    found.extend(
        f"{name}: unique index {index.name} ({_columns(index.columns)}) lacks {SHOP}"
        for index in table.indexes
        if index.unique and SHOP not in index.columns
    )
    return sorted(found)


def _foreign_key_problems(name: str, fk: ForeignKeyConstraint, cols: list[str]) -> list[str]:
    target = fk.referred_table.name
    if target in REFERENCE:
        return []
    if target in LOCAL:
        return [f"{name}: foreign key ({', '.join(cols)}) -> {target} is distributed -> local"]
    referred = [e.column.name for e in fk.elements]
    if SHOP in cols and SHOP in referred:
        return []
    return [f"{name}: foreign key ({', '.join(cols)}) -> {target} lacks {SHOP}"]


def _reference_or_local_problems(table: Table) -> list[str]:
    kind = "reference" if table.name in REFERENCE else "local"
    found = []
    for fk in table.foreign_key_constraints:
        target = fk.referred_table.name
        cols = ", ".join(c.name for c in fk.columns)
        if kind == "reference" and target not in REFERENCE:
            found.append(f"{table.name}: foreign key ({cols}) -> {target} is reference -> other")
        if kind == "local" and target in DISTRIBUTED:
            found.append(f"{table.name}: foreign key ({cols}) -> {target} is local -> distributed")
    return found


def _problems() -> list[str]:
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in DISTRIBUTED:
            found.extend(_distributed_problems(table))
        else:
            found.extend(_reference_or_local_problems(table))
    return found


def test_every_table_is_distributed_reference_or_local_and_in_one_list_only() -> None:
    tables = set(Base.metadata.tables)
    unplaced = sorted(tables - DISTRIBUTED - REFERENCE - LOCAL)
    assert unplaced == [], f"place these tables in DISTRIBUTED, REFERENCE or LOCAL: {unplaced}"
    assert DISTRIBUTED & REFERENCE == DISTRIBUTED & LOCAL == REFERENCE & LOCAL == set()
    assert sorted((DISTRIBUTED | REFERENCE | LOCAL) - tables) == []  # no stale names


def test_keys_hold_shop_id_except_the_listed_exceptions() -> None:
    found = _problems()
    new = [p for p in found if p not in EXCEPTIONS]
    assert new == [], "keys that break Citus co-location (add shop_id, or list with a reason)"


def test_every_exception_still_applies() -> None:
    stale = sorted(set(EXCEPTIONS) - set(_problems()))
    assert stale == [], "these exceptions are fixed: remove them from EXCEPTIONS"


def test_a_new_table_or_key_that_breaks_the_rules_is_named() -> None:
    """The check itself: a distributed table with a unique key and a foreign key without
    shop_id is reported by name."""
    from sqlalchemy import BigInteger, Column, ForeignKey, MetaData, String

    metadata = MetaData()
    Table("shops", metadata, Column("id", BigInteger, primary_key=True))
    Table("orders", metadata, Column("id", BigInteger, primary_key=True))
    probe = Table(
        "refunds",
        metadata,
        Column("id", BigInteger, primary_key=True),
        Column("shop_id", BigInteger, ForeignKey("shops.id")),
        Column("order_id", BigInteger, ForeignKey("orders.id")),
        Column("ref", String(8), unique=True),
    )
    assert _distributed_problems(probe) == [
        "refunds: foreign key (order_id) -> orders lacks shop_id",
        "refunds: primary key (id) lacks shop_id",
        "refunds: unique (ref) lacks shop_id",
    ]
