"""tracking inbox retry backoff: a dead letter is tried again on its own after a growing delay

``next_attempt_at`` is when a dead letter is next folded on its own (the delay doubles with
each failure up to a cap; empty once the attempts ran out: an administrator retries it).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', _TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tracking_inbox', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
