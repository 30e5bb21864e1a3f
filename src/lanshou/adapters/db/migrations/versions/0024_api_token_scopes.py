"""api_tokens.scopes: an integration token limited to some API routes

NULL (every token created before, and any created without scopes) keeps the full rights of
its owner's role; otherwise the space-separated scope names (``tracking:write`` …) the token
may use (``lanshou.identity.scopes``).

Revision ID: 0024
Revises: 0023
"""

from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('scopes')
