"""subscription waybills normalised: tracking_subscriptions spell waybills as shipments and scans do

Migration 0013 normalised shipment and event waybills (trimmed, upper case) but not the
subscriptions queued before it, which copied the shipment's waybill as written: a subscription
for `` sf123 `` never met the 快递100 push for ``SF123`` (a push finds its subscription by
waybill). Where normalising would make two rows of one account one waybill (the unique key),
the row already spelled right is kept, else the oldest; the others are removed (they asked the
aggregator for the same parcel). Downgrade keeps the normalised values: the original spelling
carries no information.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_SPELLED = "upper(trim({t}.waybill_no))"


def upgrade() -> None:
    me, other = _SPELLED.format(t="tracking_subscriptions"), _SPELLED.format(t="o")
    op.execute(
        "DELETE FROM tracking_subscriptions "
        f"WHERE waybill_no <> {me} AND EXISTS (SELECT 1 FROM tracking_subscriptions o "
        "WHERE o.integration_id = tracking_subscriptions.integration_id "
        f"AND {other} = {me} AND o.id <> tracking_subscriptions.id "
        f"AND (o.waybill_no = {other} OR o.id < tracking_subscriptions.id))"
    )
    op.execute(
        f"UPDATE tracking_subscriptions SET waybill_no = {me} WHERE waybill_no <> {me}"
    )


def downgrade() -> None:
    pass
