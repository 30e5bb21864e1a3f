"""evidence blobs in the database; 快递100 subscribe key sealed

``evidence_blobs`` / ``evidence_blob_chunks`` hold evidence files by SHA-256 in chunks of at
most 1 MiB (bytea on PostgreSQL), so any app server reads what another stored. Files already
under ``var/evidence`` stay readable through the directory fallback until
``lanshou evidence import-files`` moves them in (the migration cannot: it runs without the
application's settings and must stay quick).

``feed_integrations.subscribe_key_enc`` holds the 快递100 授权key as a Fernet token under a key
derived from LANSHOU_SECRET_KEY. Sealing needs that key, which a migration does not have, so
the clear ``subscribe_key`` values are sealed and cleared by the first start with settings
(``lanshou.feeds.seal_stored_keys``, run by bootstrap); the clear column goes in a later
revision.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evidence_blobs',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('chunk_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_evidence_blobs')),
    )
    op.create_table(
        'evidence_blob_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['evidence_blobs.sha256'],
                                name=op.f('fk_evidence_blob_chunks_sha256_evidence_blobs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_evidence_blob_chunks')),
    )
    with op.batch_alter_table('feed_integrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subscribe_key_enc', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feed_integrations', schema=None) as batch_op:
        batch_op.drop_column('subscribe_key_enc')
    op.drop_table('evidence_blob_chunks')
    op.drop_table('evidence_blobs')
