"""audit_events: keyed chain (scheme, key_id)

From here on a record's hash is an HMAC under a key derived from LANSHOU_SECRET_KEY, named by
``key_id``. Records already stored keep their plain SHA-256 hashes and become ``scheme`` 1; the
chain goes on from the last of them, so they still verify and every keyed record after them
pins their hashes. They are not re-chained under the key here: the migration runs without the
application's settings (``lanshou db upgrade``, every start, test templates), and rewriting
every hash would also make hashes already exported (dossiers, logs) impossible to find again.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.SmallInteger(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('key_id')
        batch_op.drop_column('scheme')
