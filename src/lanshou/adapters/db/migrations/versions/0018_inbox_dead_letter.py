"""tracking inbox dead letters: a record that fails on its own is set aside, not retried forever

``attempts`` counts the times the record failed when folded alone; ``last_error`` and the
first and last failure times say why and when; ``dead_at`` is set once it stops being claimed
(a dead letter), until an administrator retries it.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('first_failed_at', _TS, nullable=True))
        batch_op.add_column(sa.Column('last_failed_at', _TS, nullable=True))
        batch_op.add_column(sa.Column('dead_at', _TS, nullable=True))
        batch_op.create_index('ix_tracking_inbox_dead', ['id'], unique=False, postgresql_where=sa.text('dead_at IS NOT NULL'), sqlite_where=sa.text('dead_at IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_inbox_dead')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('last_failed_at')
        batch_op.drop_column('first_failed_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
