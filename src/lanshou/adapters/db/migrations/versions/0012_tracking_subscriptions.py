"""tracking subscriptions: each shop's aggregator, one subscription row per waybill and account

A shipment that gets a waybill is queued in ``tracking_subscriptions`` in the same transaction;
the worker sends it to 快递100 or 快递鸟 with retries, and 快递100's ``abort`` pushes stall and
later resubscribe it. ``feed_integrations`` gains what a subscription request needs besides the
push secret: 快递100's authorisation key, the callback URL and an optional API address.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('feed_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscribe_key', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('callback_url', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('api_url', sa.String(length=512), nullable=True))
    op.create_table('shop_tracking_feeds',
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('integration_id', _ID, nullable=False),
    sa.Column('sender_phone', sa.String(length=32), nullable=True),
    sa.Column('updated_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['feed_integrations.id'], name=op.f('fk_shop_tracking_feeds_integration_id_feed_integrations')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_tracking_feeds_shop_id_shops')),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_tracking_feeds'))
    )
    op.create_table('tracking_subscriptions',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('shipment_id', _ID, nullable=False),
    sa.Column('integration_id', _ID, nullable=False),
    sa.Column('carrier_code', sa.String(length=32), nullable=True),
    sa.Column('aggregator_code', sa.String(length=32), nullable=True),
    sa.Column('waybill_no', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('resubscriptions', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _TS, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('subscribed_at', _TS, nullable=True),
    sa.Column('stalled_since', _TS, nullable=True),
    sa.Column('resubscribe_at', _TS, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('updated_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['feed_integrations.id'], name=op.f('fk_tracking_subscriptions_integration_id_feed_integrations')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_tracking_subscriptions_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_subscriptions')),
    sa.UniqueConstraint('integration_id', 'waybill_no', name=op.f('uq_tracking_subscriptions_integration_id_waybill_no'))
    )
    with op.batch_alter_table('tracking_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_subscriptions_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_subscriptions_shipment_id'), ['shipment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tracking_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_subscriptions_shipment_id'))
        batch_op.drop_index('ix_tracking_subscriptions_state_next_attempt_at')
    op.drop_table('tracking_subscriptions')
    op.drop_table('shop_tracking_feeds')
    with op.batch_alter_table('feed_integrations', schema=None) as batch_op:
        batch_op.drop_column('api_url')
        batch_op.drop_column('callback_url')
        batch_op.drop_column('subscribe_key')
