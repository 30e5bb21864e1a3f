"""appeals: history, claim version, evidence rounds, complaint tasks

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))

    op.create_table('appeal_events',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('appeal_id', _ID, nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('user_id', _ID, nullable=True),
    sa.Column('at', _TS, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('data', lanshou.adapters.db.types.JSONDocument(), nullable=False),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_events_appeal_id_appeals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appeal_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_events'))
    )
    with op.batch_alter_table('appeal_events', schema=None) as batch_op:
        batch_op.create_index('ix_appeal_events_appeal', ['appeal_id', 'id'], unique=False)

    op.create_table('complaint_tasks',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('complaint_id', _ID, nullable=False),
    sa.Column('shop_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_at', _TS, nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('escalated_at', _TS, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('completed_at', _TS, nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_tasks_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_complaint_tasks_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_tasks')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_complaint_tasks_complaint_id'))
    )
    with op.batch_alter_table('complaint_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_tasks_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_tasks_shop_id'), ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_tasks_shop_id'))
        batch_op.drop_index('ix_complaint_tasks_state_due')
    op.drop_table('complaint_tasks')
    with op.batch_alter_table('appeal_events', schema=None) as batch_op:
        batch_op.drop_index('ix_appeal_events_appeal')
    op.drop_table('appeal_events')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('round')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_column('version')
