"""analytics: daily loss and pickup aggregates, refresh watermark, violations.updated_at index

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('analytics_loss_daily',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('platform_id', _ID, nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('carrier_id', _ID, nullable=True),
    sa.Column('outlet_id', _ID, nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('charged_fen', sa.BigInteger(), nullable=False),
    sa.Column('recovered_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_loss_daily'))
    )
    with op.batch_alter_table('analytics_loss_daily', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_loss_daily_day_shop', ['day', 'shop_id'],
                              unique=False)
    for table in ('analytics_pickup_daily', 'analytics_pickup_latency'):
        extra = ([sa.Column('shipments', sa.BigInteger(), nullable=False),
                  sa.Column('with_deadline', sa.BigInteger(), nullable=False),
                  sa.Column('timeouts', sa.BigInteger(), nullable=False),
                  sa.Column('reversed', sa.BigInteger(), nullable=False),
                  sa.Column('feed_stalls', sa.BigInteger(), nullable=False),
                  sa.Column('penalty_fen', sa.BigInteger(), nullable=False)]
                 if table == 'analytics_pickup_daily' else
                 [sa.Column('bucket', sa.BigInteger(), nullable=False),
                  sa.Column('n', sa.BigInteger(), nullable=False)])
        op.create_table(table,
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('shop_id', _ID, nullable=False),
        sa.Column('carrier_id', _ID, nullable=True),
        sa.Column('outlet_id', _ID, nullable=True),
        sa.Column('courier_id', _ID, nullable=True),
        *extra,
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_day_shop', ['day', 'shop_id'], unique=False)
    op.create_table('analytics_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('ledger_id', _ID, nullable=False),
    sa.Column('shipment_id', _ID, nullable=False),
    sa.Column('deadline_id', _ID, nullable=False),
    sa.Column('violation_id', _ID, nullable=False),
    sa.Column('violation_updated_at', _TS, nullable=True),
    sa.Column('refreshed_at', _TS, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_state'))
    )
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.create_index('ix_violations_updated_at', ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.drop_index('ix_violations_updated_at')
    op.drop_table('analytics_state')
    for table in ('analytics_pickup_latency', 'analytics_pickup_daily'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_day_shop')
        op.drop_table(table)
    with op.batch_alter_table('analytics_loss_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_loss_daily_day_shop')
    op.drop_table('analytics_loss_daily')
