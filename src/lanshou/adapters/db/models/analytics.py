"""Pre-aggregated analytics: daily money cells, pickup counts and latency histograms.

``analytics_loss_daily`` holds exactly the cells of
:func:`lanshou.analytics.loss_cells.raw_loss_cells` (one row per deadline local day, shop,
platform, rule, carrier, outlet and money kind); ``analytics_state`` remembers how far the
source tables had got at the last refresh. ``analytics_pickup_window`` holds the latency
histograms of the standard dashboard periods (the last 7, 30 and 90 days) per shop and per
level (carrier, outlet, courier), so a board reads one small row set per level instead of the
daily histograms. All are rebuilt by
:func:`lanshou.analytics.aggregates.refresh_aggregates`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
from lanshou.adapters.db.models.commerce import Shipment
from lanshou.adapters.db.models.enforcement import Violation


class LossDaily(Base):
    __tablename__ = "analytics_loss_daily"
    __table_args__ = (Index("ix_analytics_loss_daily_day_shop", "day", "shop_id"),)

    id: Mapped[int] = id_column()
    day: Mapped[date] = mapped_column(Date)  # Beijing local date of the violation deadline
    shop_id: Mapped[int] = mapped_column(BigId)
    platform_id: Mapped[int] = mapped_column(BigId)
    rule_id: Mapped[str] = mapped_column(String(64))
    carrier_id: Mapped[int | None] = mapped_column(BigId)
    outlet_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))
    charged_fen: Mapped[int] = mapped_column(BigInteger)
    recovered_fen: Mapped[int] = mapped_column(BigInteger)


class PickupDaily(Base):
    """Counts of the shipments marked shipped on one local day, per shop/carrier/outlet/courier."""

    __tablename__ = "analytics_pickup_daily"
    __table_args__ = (Index("ix_analytics_pickup_daily_day_shop", "day", "shop_id"),)

    id: Mapped[int] = id_column()
    day: Mapped[date] = mapped_column(Date)  # Beijing local date of shipped_at
    shop_id: Mapped[int] = mapped_column(BigId)
    carrier_id: Mapped[int | None] = mapped_column(BigId)
    outlet_id: Mapped[int | None] = mapped_column(BigId)
    courier_id: Mapped[int | None] = mapped_column(BigId)
    shipments: Mapped[int] = mapped_column(BigInteger)
    with_deadline: Mapped[int] = mapped_column(BigInteger)
    timeouts: Mapped[int] = mapped_column(BigInteger)
    reversed: Mapped[int] = mapped_column(BigInteger)
    feed_stalls: Mapped[int] = mapped_column(BigInteger)
    penalty_fen: Mapped[int] = mapped_column(BigInteger)  # net money of pickup timeouts


class PickupLatency(Base):
    """Histogram of pickup latencies (see ``latency.bucket_of``) per day and dimensions."""

    __tablename__ = "analytics_pickup_latency"
    __table_args__ = (Index("ix_analytics_pickup_latency_day_shop", "day", "shop_id"),)

    id: Mapped[int] = id_column()
    day: Mapped[date] = mapped_column(Date)
    shop_id: Mapped[int] = mapped_column(BigId)
    carrier_id: Mapped[int | None] = mapped_column(BigId)
    outlet_id: Mapped[int | None] = mapped_column(BigId)
    courier_id: Mapped[int | None] = mapped_column(BigId)
    bucket: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(BigInteger)


class AnalyticsState(Base):
    """Watermarks of the last refresh (one row, name ``loss``)."""

    __tablename__ = "analytics_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    ledger_id: Mapped[int] = mapped_column(BigId)
    shipment_id: Mapped[int] = mapped_column(BigId)
    deadline_id: Mapped[int] = mapped_column(BigId)
    violation_id: Mapped[int] = mapped_column(BigId)
    violation_updated_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime]
    # Highest tracking event id seen (row ``pickup``); None until the first refresh after 0006.
    event_id: Mapped[int | None] = mapped_column(BigId)
    # The last local day of the windows in ``analytics_pickup_window`` (row ``pickup``).
    window_day: Mapped[date | None] = mapped_column(Date)


class PickupWindow(Base):
    """Latency histogram of the shipments marked shipped in the ``window_days`` local days
    ending ``AnalyticsState.window_day``, per shop and per entity of one level; ``entity_id``
    0 stands for "none" (a shipment without carrier, outlet or courier)."""

    __tablename__ = "analytics_pickup_window"

    window_days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entity_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


class PickupPercentile(Base):
    """Latency percentiles of the windows, ready to show: nearest-rank p50/p90/p99 as bucket
    numbers (``latency.bucket_hours`` turns them into hours) per window, level and entity,
    over one shop (``shop_id``) or over all shops (``shop_id`` 0). The ``province`` level is
    keyed by (province of the shop, carrier); ``province`` is '' on the other levels."""

    __tablename__ = "analytics_pickup_percentile"

    window_days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[str] = mapped_column(String(8), primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    province: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    p50: Mapped[int] = mapped_column(BigInteger)
    p90: Mapped[int] = mapped_column(BigInteger)
    p99: Mapped[int] = mapped_column(BigInteger)


class ExposureSnapshot(Base):
    """The 损失与风险 board's exposure as computed by the worker's refresh at ``computed_at``:
    Σ expected cost of the pending deadlines (``services.analytics.exposure``) and their
    number, for one scope: ``all`` (every shop) or the sorted shop ids of a user's
    memberships (``scope_key`` in ``services.analytics.exposure``)."""

    __tablename__ = "analytics_exposure"

    scope_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime]
    expected_fen: Mapped[int] = mapped_column(BigInteger)
    pending: Mapped[int] = mapped_column(BigInteger)


class BreachRisk(Base):
    """The at-risk board's ranking as computed by the worker's refresh (at the ``computed_at``
    of the scope's ``analytics_exposure`` row): for every pending pickup deadline of the scope
    that has a breach probability, that probability, the expected cost of a miss (probability ×
    cost, to the fen, as ``AtRiskItem.expected_cost``) and its place in the board's
    "probability × cost" order (``rank`` 0 first: highest expected cost, then soonest due, then
    deadline id). Rows of one scope sum to its ``analytics_exposure.expected_fen``."""

    __tablename__ = "analytics_breach_risk"
    __table_args__ = (Index("ix_analytics_breach_risk_scope_rank", "scope_key", "rank"),)

    scope_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    deadline_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    expected_fen: Mapped[int] = mapped_column(BigInteger)


class ViolationDaily(Base):
    """Violations that happened (open, confirmed or reversed) per deadline local day, shop and
    rule: what ``lanshou report`` counts (``losses.raw_violation_counts``)."""

    __tablename__ = "analytics_violation_daily"
    __table_args__ = (Index("ix_analytics_violation_daily_day_shop", "day", "shop_id"),)

    id: Mapped[int] = id_column()
    day: Mapped[date] = mapped_column(Date)
    shop_id: Mapped[int] = mapped_column(BigId)
    rule_id: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(BigInteger)


# Lets the refresh find the violations changed since the watermark without a table scan.
ix_violations_updated_at = Index("ix_violations_updated_at", Violation.updated_at)
# The refresh and the breach model read shipments by the day they were marked shipped.
ix_shipments_shipped_at = Index("ix_shipments_shipped_at", Shipment.shipped_at)
