"""analytics: latency windows, percentiles, exposure, violation counts, pickup watermark, indexes

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)
_STATE_COLUMNS = ('ledger_id, shipment_id, deadline_id, violation_id, violation_updated_at, '
                  'refreshed_at')


def upgrade() -> None:
    op.create_table('analytics_pickup_window',
    sa.Column('window_days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('shop_id', _ID, autoincrement=False, nullable=False),
    sa.Column('entity_id', _ID, autoincrement=False, nullable=False),
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('window_days', 'level', 'shop_id', 'entity_id', 'bucket',
                            name=op.f('pk_analytics_pickup_window'))
    )
    op.create_table('analytics_pickup_percentile',
    sa.Column('window_days', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('shop_id', _ID, autoincrement=False, nullable=False),
    sa.Column('province', sa.String(length=32), nullable=False),
    sa.Column('entity_id', _ID, autoincrement=False, nullable=False),
    sa.Column('p50', sa.BigInteger(), nullable=False),
    sa.Column('p90', sa.BigInteger(), nullable=False),
    sa.Column('p99', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('window_days', 'level', 'shop_id', 'province', 'entity_id',
                            name=op.f('pk_analytics_pickup_percentile'))
    )
    op.create_table('analytics_exposure',
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('computed_at', _TS, nullable=False),
    sa.Column('expected_fen', sa.BigInteger(), nullable=False),
    sa.Column('pending', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope_key', name=op.f('pk_analytics_exposure'))
    )
    op.create_table('analytics_violation_daily',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_violation_daily'))
    )
    with op.batch_alter_table('analytics_violation_daily', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_violation_daily_day_shop', ['day', 'shop_id'],
                              unique=False)
    with op.batch_alter_table('analytics_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', _ID, nullable=True))
        batch_op.add_column(sa.Column('window_day', sa.Date(), nullable=True))
    # The pickup aggregates get their own watermark row; they were refreshed together with the
    # losses up to now, so they start from the same one (the windows are built on the next
    # refresh: window_day is NULL). The violation counts are new: the losses are rebuilt.
    op.execute(f"INSERT INTO analytics_state (name, {_STATE_COLUMNS}) "
               f"SELECT 'pickup', {_STATE_COLUMNS} FROM analytics_state WHERE name = 'loss'")
    op.execute("DELETE FROM analytics_state WHERE name = 'loss'")
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_shipped_at', ['shipped_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_shipped_at')
    # Back to one row for both parts: the pickup one (the losses are rebuilt if it is missing).
    op.execute("DELETE FROM analytics_state WHERE name = 'loss'")
    op.execute("UPDATE analytics_state SET name = 'loss' WHERE name = 'pickup'")
    with op.batch_alter_table('analytics_state', schema=None) as batch_op:
        batch_op.drop_column('window_day')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('analytics_violation_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_violation_daily_day_shop')
    op.drop_table('analytics_violation_daily')
    op.drop_table('analytics_exposure')
    op.drop_table('analytics_pickup_percentile')
    op.drop_table('analytics_pickup_window')
