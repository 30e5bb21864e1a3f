"""waybills normalised: order waybills stored trimmed and upper-cased, like every scan's

Imports stored an order's waybill as the file wrote it while the feeds upper-case theirs, so a
shipment ``wblc1`` never met its own scan ``WBLC1``. Stored shipment and event waybills are
normalised the same way (trimmed, upper case), and events that were waiting for a waybill that
now matches a shipment join it. Verdicts follow with ``lanshou recompute`` (a migration does not
evaluate). Downgrade keeps the normalised values: the original spelling carries no information.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE shipments SET waybill_no = upper(trim(waybill_no)) "
        "WHERE waybill_no IS NOT NULL AND waybill_no <> upper(trim(waybill_no))"
    )
    op.execute(
        "UPDATE tracking_events SET waybill_no = upper(trim(waybill_no)) "
        "WHERE waybill_no <> upper(trim(waybill_no))"
    )
    op.execute(
        "UPDATE tracking_events SET shipment_id = (SELECT min(s.id) FROM shipments s "
        "WHERE s.waybill_no = tracking_events.waybill_no) "
        "WHERE shipment_id IS NULL AND EXISTS (SELECT 1 FROM shipments s "
        "WHERE s.waybill_no = tracking_events.waybill_no)"
    )


def downgrade() -> None:
    pass
