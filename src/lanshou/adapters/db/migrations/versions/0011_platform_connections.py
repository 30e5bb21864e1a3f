"""platform connections: 抖店 Open Platform links, pushed messages, carrier codes, shipment calls

``platform_connections`` holds one shop's authorised link (gateway, app key, the app secret and
tokens encrypted with a key derived from LANSHOU_SECRET_KEY, the sync cursor, the last error);
``platform_messages`` every pushed message once (unique msg_id); ``platform_carrier_codes`` the
platform's logistics company codes and the lanshou carrier each stands for;
``platform_shipment_calls`` each logisticsAdd / registerPackageRoute call and the answer.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('platform_carrier_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('platform_company_id', sa.Integer(), nullable=True),
    sa.Column('carrier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_platform_carrier_codes_carrier_id_carriers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_carrier_codes')),
    sa.UniqueConstraint('platform', 'code', name=op.f('uq_platform_carrier_codes_platform_code'))
    )
    op.create_table('platform_connections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('gateway', sa.String(length=255), nullable=False),
    sa.Column('app_key', sa.String(length=64), nullable=False),
    sa.Column('app_secret_enc', sa.Text(), nullable=False),
    sa.Column('external_shop_id', sa.String(length=64), nullable=False),
    sa.Column('auth_kind', sa.String(length=16), nullable=False),
    sa.Column('access_token_enc', sa.Text(), nullable=True),
    sa.Column('refresh_token_enc', sa.Text(), nullable=True),
    sa.Column('token_expires_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('sync_cursor', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_platform_connections_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_connections')),
    sa.UniqueConstraint('platform', 'shop_id', name=op.f('uq_platform_connections_platform_shop_id'))
    )
    op.create_table('platform_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('msg_id', sa.String(length=64), nullable=False),
    sa.Column('tag', sa.String(length=16), nullable=False),
    sa.Column('connection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('raw', lanshou.adapters.db.types.JSONDocument(), nullable=False),
    sa.Column('received_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['platform_connections.id'], name=op.f('fk_platform_messages_connection_id_platform_connections'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_messages')),
    sa.UniqueConstraint('platform', 'msg_id', name=op.f('uq_platform_messages_platform_msg_id'))
    )
    op.create_table('platform_shipment_calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('connection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shipment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('order_external_id', sa.String(length=64), nullable=False),
    sa.Column('company_code', sa.String(length=64), nullable=True),
    sa.Column('logistics_code', sa.String(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('log_id', sa.String(length=64), nullable=True),
    sa.Column('called_at', lanshou.adapters.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['platform_connections.id'], name=op.f('fk_platform_shipment_calls_connection_id_platform_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_platform_shipment_calls_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_shipment_calls'))
    )
    with op.batch_alter_table('platform_shipment_calls', schema=None) as batch_op:
        batch_op.create_index('ix_platform_shipment_calls_shipment', ['shipment_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('platform_shipment_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_platform_shipment_calls_shipment')

    op.drop_table('platform_shipment_calls')
    op.drop_table('platform_messages')
    op.drop_table('platform_connections')
    op.drop_table('platform_carrier_codes')
