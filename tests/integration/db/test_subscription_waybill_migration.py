"""Migration 0017: subscriptions queued with a waybill as written take the spelling of shipments
and scans; rows that become one waybill at one account keep the right-spelled or oldest one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.migrate import downgrade, upgrade
from lanshou.adapters.db.models import FeedIntegration, Shipment, TrackingSubscription
from tests.integration.db.seeds import one_order

AT = datetime(2026, 3, 3, 12, tzinfo=UTC)


def test_subscription_waybills_are_normalised_and_collisions_keep_one_row(
    db_engine: Engine,
) -> None:
    downgrade(db_engine, "0016")
    with Session(db_engine) as s:
        one_order(s, AT)
        # Core, naming the columns 0016 had (the model has columns added since).
        s.execute(
            insert(FeedIntegration.__table__),  # type: ignore[arg-type]
            [
                {"id": n, "kind": "kuaidi100", "name": name, "secret": "s", "is_active": True,
                 "created_at": AT}
                for n, name in ((1, "a"), (2, "b"))
            ],
        )  # fmt: skip
        s.add(Shipment(id=1, order_id=1, key="k1", status="awaiting_pickup", amount_fen=100))
        s.flush()
        rows = (
            (1, 1, " sf123 "),  # alone: respelled
            (2, 2, " sf123 "),  # another account: respelled too
            (3, 1, "sf777"),  # SF777 is already there (row 4): removed
            (4, 1, "SF777"),
            (5, 1, "wb9 "),  # two spellings, neither right: the oldest (5) stays
            (6, 1, " Wb9"),
        )
        for sub_id, integration, waybill in rows:
            s.add(
                TrackingSubscription(
                    id=sub_id,
                    shipment_id=1,
                    integration_id=integration,
                    waybill_no=waybill,
                    state="pending",
                    attempts=0,
                    resubscriptions=0,
                    created_at=AT,
                    updated_at=AT,
                )
            )
        s.commit()

    upgrade(db_engine)

    with Session(db_engine) as s:
        stored = s.execute(
            select(
                TrackingSubscription.id,
                TrackingSubscription.integration_id,
                TrackingSubscription.waybill_no,
            ).order_by(TrackingSubscription.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (1, 1, "SF123"),
        (2, 2, "SF123"),
        (4, 1, "SF777"),
        (5, 1, "WB9"),
    ]
