"""analytics: the at-risk board's stored breach probabilities and ranking per scope

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('analytics_breach_risk',
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('deadline_id', _ID, autoincrement=False, nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('expected_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope_key', 'deadline_id', name=op.f('pk_analytics_breach_risk'))
    )
    with op.batch_alter_table('analytics_breach_risk', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_breach_risk_scope_rank', ['scope_key', 'rank'],
                              unique=False)
    # The exposure rows and the ranking are written together by the worker's next refresh;
    # until then the board shows no probabilities rather than half a snapshot.
    op.execute("DELETE FROM analytics_exposure")


def downgrade() -> None:
    with op.batch_alter_table('analytics_breach_risk', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_breach_risk_scope_rank')
    op.drop_table('analytics_breach_risk')
