"""shop_id in the unique keys of alert_subscriptions and complaint_tasks

A table distributed by shop (Citus) can only enforce a unique key that holds ``shop_id``. In
both tables ``shop_id`` follows from a column already in the key (the channel's shop, the
complaint's shop), so the keys refuse exactly what they refused before. Neither table is
referenced by a foreign key, so SQLite's table rebuild touches no other table.
tests/unit/db/test_citus_readiness.py lists the keys still waiting, with the reason for each.

Revision ID: 0020
Revises: 0019
"""

from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_subscriptions') as batch_op:
        batch_op.drop_constraint(
            'uq_alert_subscriptions_channel_id_event_kind_lead_minutes', type_='unique')
        batch_op.create_unique_constraint(
            'uq_alert_subscriptions_channel_kind_lead_shop',
            ['channel_id', 'event_kind', 'lead_minutes', 'shop_id'])
    with op.batch_alter_table('complaint_tasks') as batch_op:
        batch_op.drop_constraint('uq_complaint_tasks_complaint_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_complaint_tasks_complaint_id_shop_id', ['complaint_id', 'shop_id'])


def downgrade() -> None:
    with op.batch_alter_table('complaint_tasks') as batch_op:
        batch_op.drop_constraint('uq_complaint_tasks_complaint_id_shop_id', type_='unique')
        batch_op.create_unique_constraint('uq_complaint_tasks_complaint_id', ['complaint_id'])
    with op.batch_alter_table('alert_subscriptions') as batch_op:
        batch_op.drop_constraint(
            'uq_alert_subscriptions_channel_kind_lead_shop', type_='unique')
        batch_op.create_unique_constraint(
            'uq_alert_subscriptions_channel_id_event_kind_lead_minutes',
            ['channel_id', 'event_kind', 'lead_minutes'])
