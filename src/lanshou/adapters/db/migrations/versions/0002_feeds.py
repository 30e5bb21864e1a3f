"""feed integrations (快递100 salts, 快递鸟 app keys)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_integrations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_integrations')),
    sa.UniqueConstraint('kind', 'name', name=op.f('uq_feed_integrations_kind_name'))
    )


def downgrade() -> None:
    op.drop_table('feed_integrations')
