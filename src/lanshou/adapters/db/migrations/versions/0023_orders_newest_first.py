"""orders: an index in the order list's order (newest payment first, then id)

The order list of a user who sees several shops (an owner of two, a reviewer, an admin) sorts
by ``paid_at DESC, id DESC``. ``ix_orders_shop_paid`` serves one shop; for several, PostgreSQL
read every order of those shops and sorted them (150 ms at 100 k orders, linear in the table).
Read backwards, this index gives the first pages at once, whatever the number of shops.

Revision ID: 0023
Revises: 0022
"""

from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch_op:
        batch_op.create_index('ix_orders_paid_id', ['paid_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch_op:
        batch_op.drop_index('ix_orders_paid_id')
