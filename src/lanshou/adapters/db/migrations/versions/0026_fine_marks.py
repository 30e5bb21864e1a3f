"""fine_marks: shops whose fines and points are still to be re-allocated from a time on

A bulk run (``lanshou import orders``, a backfill) writes a shop's mark in the transaction of
the violations it changed instead of re-allocating the shop's fines after every chunk, and
re-allocates once at its end, removing the marks. A run killed before its end leaves its
marks: the next sweep (or the shop's next evaluation) honours them. Empty when created.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'fine_marks',
        sa.Column(
            'shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False
        ),
        sa.Column('profile', sa.String(length=64), nullable=False),
        sa.Column('since', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['shop_id'], ['shops.id'], name=op.f('fk_fine_marks_shop_id_shops')
        ),
        sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_fine_marks')),
    )


def downgrade() -> None:
    op.drop_table('fine_marks')
