"""drop the clear 快递100 subscribe key column

``feed_integrations.subscribe_key`` held the 快递100 授权key in clear until 0021 added the
sealed ``subscribe_key_enc``; the start-up step that sealed the clear values is replaced by this
migration. A key still in clear (a database that never started after 0021) is sealed here
first, with the seal the application hands over (``lanshou.adapters.db.migrate.Seal``, under
LANSHOU_SECRET_KEY); without one the migration refuses and changes nothing, so no key is lost.
The downgrade brings the column back empty: 0021's code reads the sealed value first. On
SQLite the column is dropped in place (ALTER TABLE … DROP COLUMN, SQLite 3.35+), not by batch
mode (see the upgrade).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import context, op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    clear = bind.execute(
        sa.text(
            "SELECT id, subscribe_key FROM feed_integrations "
            "WHERE subscribe_key IS NOT NULL ORDER BY id"
        )
    ).all()
    if clear:
        seal = context.config.attributes.get("seal")
        if seal is None:
            raise RuntimeError(
                f"{len(clear)} 快递100 subscribe keys are still stored in clear: migrate with "
                "the application (lanshou db upgrade, or any lanshou command, with "
                "LANSHOU_SECRET_KEY set), which seals them before the column is dropped"
            )
        for row_id, key in clear:
            bind.execute(
                sa.text(
                    "UPDATE feed_integrations SET subscribe_key_enc = :sealed, "
                    "subscribe_key = NULL WHERE id = :id"
                ),
                {"sealed": seal(key), "id": row_id},
            )
    if bind.dialect.name == 'sqlite':
        # Not batch mode: it copies the table to a new one and drops the old, which the tables
        # that refer to it (tracking subscriptions) forbid while foreign keys are on, and the
        # migrations run in a transaction, where SQLite cannot turn them off. SQLite drops a
        # plain column in place since 3.35.
        op.execute('ALTER TABLE feed_integrations DROP COLUMN subscribe_key')
    else:
        op.drop_column('feed_integrations', 'subscribe_key')


def downgrade() -> None:
    with op.batch_alter_table('feed_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscribe_key', sa.String(length=128), nullable=True))
