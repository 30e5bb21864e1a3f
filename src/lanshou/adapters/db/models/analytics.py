"""Pre-aggregated analytics: daily money cells, pickup counts and latency histograms.

``analytics_loss_daily`` holds exactly the cells of
:func:`lanshou.services.analytics.losses.raw_loss_cells` (one row per deadline local day, shop,
platform, rule, carrier, outlet and money kind); ``analytics_state`` remembers how far the
source tables had got at the last refresh. Both are rebuilt by
:func:`lanshou.services.analytics.aggregates.refresh_aggregates`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lanshou.adapters.db.models.base import Base, BigId, id_column
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
    """Histogram of pickup latencies (see ``scorecards.bucket_of``) per day and dimensions."""

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


# Lets the refresh find the violations changed since the watermark without a table scan.
ix_violations_updated_at = Index("ix_violations_updated_at", Violation.updated_at)
