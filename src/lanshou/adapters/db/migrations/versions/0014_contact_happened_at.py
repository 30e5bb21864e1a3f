"""contact log: when the contact happened and when it was recorded

``communications.occurred_at`` becomes the time the call or chat happened, which the user may
enter (it defaults to now); the new ``recorded_at`` keeps when the entry was typed in. Existing
rows were always stamped when they were typed, so both take that time.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', _TS, nullable=True))
    op.execute('UPDATE communications SET recorded_at = occurred_at')
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.alter_column('recorded_at', existing_type=_TS, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')
