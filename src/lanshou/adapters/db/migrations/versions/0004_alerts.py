"""alerts: channels, subscriptions, outbox, delivery log, cursors; team assignments

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('alert_cursors',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_id', _ID, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_alert_cursors'))
    )
    op.create_table('alert_channels',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('config', lanshou.adapters.db.types.JSONDocument(), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_alert_channels_created_by_users')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_alert_channels_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_channels'))
    )
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_channels_shop_id'), ['shop_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('entity_type', sa.String(length=24), nullable=False),
    sa.Column('entity_id', _ID, nullable=False),
    sa.Column('assignee_id', _ID, nullable=False),
    sa.Column('due_at', _TS, nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', _ID, nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('done_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_assignments_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assignments_created_by_users')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_assignments_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_assignee_state', ['assignee_id', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_assignments_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('alert_outbox',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('channel_id', _ID, nullable=False),
    sa.Column('event_kind', sa.String(length=24), nullable=False),
    sa.Column('source_type', sa.String(length=24), nullable=False),
    sa.Column('source_id', _ID, nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('deferred_until', _TS, nullable=True),
    sa.Column('next_attempt_at', _TS, nullable=False),
    sa.Column('sent_at', _TS, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['alert_channels.id'], name=op.f('fk_alert_outbox_channel_id_alert_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_alert_outbox_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_alert_outbox_dedup_key'))
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_alert_outbox_shop_created', ['shop_id', 'created_at'], unique=False)
        batch_op.create_index('ix_alert_outbox_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('alert_subscriptions',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('channel_id', _ID, nullable=False),
    sa.Column('event_kind', sa.String(length=24), nullable=False),
    sa.Column('lead_minutes', sa.Integer(), nullable=False),
    sa.Column('created_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['alert_channels.id'], name=op.f('fk_alert_subscriptions_channel_id_alert_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_alert_subscriptions_created_by_users')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_alert_subscriptions_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscriptions')),
    sa.UniqueConstraint('channel_id', 'event_kind', 'lead_minutes', name=op.f('uq_alert_subscriptions_channel_id_event_kind_lead_minutes'))
    )
    with op.batch_alter_table('alert_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_subscriptions_shop_id'), ['shop_id'], unique=False)

    op.create_table('alert_deliveries',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('outbox_id', _ID, nullable=True),
    sa.Column('channel_kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=128), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', _TS, nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['alert_outbox.id'], name=op.f('fk_alert_deliveries_outbox_id_alert_outbox'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_alert_deliveries_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries'))
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index('ix_alert_deliveries_shop_at', ['shop_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_shop_at')
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_outbox_id'))

    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_subscriptions_shop_id'))

    op.drop_table('alert_subscriptions')
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_outbox_state_next')
        batch_op.drop_index('ix_alert_outbox_shop_created')

    op.drop_table('alert_outbox')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_entity')
        batch_op.drop_index('ix_assignments_assignee_state')

    op.drop_table('assignments')
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_channels_shop_id'))

    op.drop_table('alert_channels')
    op.drop_table('alert_cursors')
