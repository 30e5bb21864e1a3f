"""login_failures: throttled per client address as well as per username

Login throttling waits ``2**n`` seconds after ``n`` recent failures of an account and, with a
higher cap, of a client address. The address count needs its own index; the column already
holds the address (now the throttling key: IPv4 as is, IPv6 by its /64).

Revision ID: 0010
Revises: 0009
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_remote_addr_at', ['remote_addr', 'at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_remote_addr_at')
