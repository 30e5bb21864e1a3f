"""tracking inbox: feeds accept into it, workers fold it into shipments and judge

``tracking_inbox`` holds each accepted, validated record with its dedup key until a worker
folds it (``done_at``); ``tracking_receipts`` counts what became of each accepted delivery, and
``tracking_receipt_violations`` names the violations its events produced.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('tracking_receipts',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('received_at', _TS, nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('unknown_carriers', sa.Integer(), nullable=False),
    sa.Column('judged', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('unmatched', sa.Integer(), nullable=False),
    sa.Column('judged_at', _TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_receipts'))
    )
    op.create_table('tracking_inbox',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('receipt_id', _ID, nullable=False),
    sa.Column('carrier_code', sa.String(length=32), nullable=True),
    sa.Column('waybill_no', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('event_time', _TS, nullable=False),
    sa.Column('location', sa.String(length=128), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('raw', lanshou.adapters.db.types.JSONDocument(), nullable=True),
    sa.Column('received_at', _TS, nullable=False),
    sa.Column('done_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['receipt_id'], ['tracking_receipts.id'], name=op.f('fk_tracking_inbox_receipt_id_tracking_receipts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_inbox'))
    )
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_inbox_pending', ['id'], unique=False, postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_tracking_inbox_receipt_id'), ['receipt_id'], unique=False)
    op.create_table('tracking_receipt_violations',
    sa.Column('receipt_id', _ID, nullable=False),
    sa.Column('violation_id', _ID, nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['tracking_receipts.id'], name=op.f('fk_tracking_receipt_violations_receipt_id_tracking_receipts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['violation_id'], ['violations.id'], name=op.f('fk_tracking_receipt_violations_violation_id_violations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt_id', 'violation_id', name=op.f('pk_tracking_receipt_violations'))
    )


def downgrade() -> None:
    op.drop_table('tracking_receipt_violations')
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_inbox_receipt_id'))
        batch_op.drop_index('ix_tracking_inbox_pending')
    op.drop_table('tracking_inbox')
    op.drop_table('tracking_receipts')
