"""Migration 0013: order waybills stored as written become the one spelling the scans use, and
scans that waited for them join their shipment."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lanshou.adapters.db.migrate import downgrade, upgrade
from lanshou.adapters.db.models import Shipment, TrackingEvent
from tests.integration.db.seeds import one_order

AT = datetime(2026, 3, 3, 12, tzinfo=UTC)


def test_stored_waybills_are_normalised_and_waiting_scans_join(db_engine: Engine) -> None:
    downgrade(db_engine, "0012")
    with Session(db_engine) as s:
        one_order(s, AT)
        for sid, waybill in ((1, " wblc1 "), (2, "SF9"), (3, None)):
            s.add(
                Shipment(
                    id=sid,
                    order_id=1,
                    key=f"k{sid}",
                    waybill_no=waybill,
                    status="awaiting_pickup",
                    amount_fen=100,
                )
            )
        s.flush()
        for eid, waybill in ((1, "WBLC1"), (2, "nobody1")):
            s.add(
                TrackingEvent(
                    id=eid,
                    shipment_id=None,
                    waybill_no=waybill,
                    status="picked_up",
                    event_time=AT,
                    received_at=AT,
                    source="import",
                    dedup_key=f"d{eid}",
                )
            )
        s.commit()

    upgrade(db_engine)

    with Session(db_engine) as s:
        waybills = s.execute(select(Shipment.id, Shipment.waybill_no).order_by(Shipment.id)).all()
        events = s.execute(
            select(TrackingEvent.id, TrackingEvent.waybill_no, TrackingEvent.shipment_id).order_by(
                TrackingEvent.id
            )
        ).all()
    assert [tuple(r) for r in waybills] == [(1, "WBLC1"), (2, "SF9"), (3, None)]
    assert [tuple(r) for r in events] == [(1, "WBLC1", 1), (2, "NOBODY1", None)]
