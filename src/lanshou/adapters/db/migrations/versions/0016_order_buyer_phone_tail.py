"""orders: the last four digits of the buyer's phone, for the search box

Customer service finds an order by the caller's phone tail (尾号). Only the four digits are kept:
enough to find the order, not enough to call the buyer. Existing rows have none.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_phone_tail', sa.String(length=4), nullable=True))
        batch_op.create_index(
            'ix_orders_shop_phone_tail', ['shop_id', 'buyer_phone_tail'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_shop_phone_tail')
        batch_op.drop_column('buyer_phone_tail')
