"""tracking events by month: PostgreSQL partitions tracking_events by RANGE (event_time)

PostgreSQL: the table is rebuilt as a partitioned table with one partition per UTC month that
holds events (plus a DEFAULT partition for every month nobody created yet); the worker and
``lanshou retention`` create the months ahead (``adapters.db.partitions``). A unique key on a
partitioned table must hold the partition key, so the dedup key becomes ``UNIQUE (dedup_key,
event_time)`` — as strict as before, since the key hashes the event's time — and the primary
key ``(id, event_time)``; ids keep coming from the same sequence.

SQLite keeps one plain table; only its unique key changes to the same two columns, so every
writer names one conflict target on both databases.

The PostgreSQL rebuild copies every row inside the migration's transaction: event intake stops
for as long as that takes. A large installation does the expensive parts online beforehand
(unique indexes built CONCURRENTLY, a CHECK constraint added NOT VALID then VALIDATEd, the old
table ATTACHed as one partition) and stamps this revision: docs/architecture.md, "Tracking
events by month", "Migrating a large installation online".

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import lanshou.adapters.db.types
from lanshou.adapters.db.partitions import (
    Month,
    create_default_partition,
    ensure_partitions,
    is_partitioned,
)


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = lanshou.adapters.db.types.UTCDateTime(timezone=True)
_COLUMNS = (
    "id, shipment_id, carrier_code, waybill_no, status, event_time, received_at, location, "
    "description, source, dedup_key, raw"
)
_OLD = "tracking_events_unpartitioned"


def _columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column('id', _ID, nullable=False,
                  server_default=sa.text("nextval('tracking_events_id_seq'::regclass)")),
        sa.Column('shipment_id', _ID, nullable=True),
        sa.Column('carrier_code', sa.String(length=32), nullable=True),
        sa.Column('waybill_no', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('event_time', _TS, nullable=False),
        sa.Column('received_at', _TS, nullable=False),
        sa.Column('location', sa.String(length=128), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('dedup_key', sa.String(length=64), nullable=False),
        sa.Column('raw', lanshou.adapters.db.types.JSONDocument(), nullable=True),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'],
                                name='fk_tracking_events_shipment_id_shipments', ondelete='CASCADE'),
    ]


def _set_aside_old_table() -> None:
    """Rename the table and free its index and constraint names for the new one."""
    op.execute(f"ALTER TABLE tracking_events RENAME TO {_OLD}")
    op.execute("DROP INDEX ix_tracking_events_shipment_time")
    op.execute("DROP INDEX ix_tracking_events_waybill")
    for name in ('fk_tracking_events_shipment_id_shipments', 'uq_tracking_events_dedup_key',
                 'uq_tracking_events_dedup_key_event_time', 'pk_tracking_events'):
        op.execute(f"ALTER TABLE {_OLD} DROP CONSTRAINT IF EXISTS {name}")


def _move_rows_and_finish() -> None:
    """Copy the rows over, hand the id sequence to the new table, drop the old one, index."""
    op.execute(f"INSERT INTO tracking_events ({_COLUMNS}) SELECT {_COLUMNS} FROM {_OLD}")
    op.execute("ALTER SEQUENCE tracking_events_id_seq OWNED BY tracking_events.id")
    op.execute(f"DROP TABLE {_OLD}")
    op.create_index('ix_tracking_events_shipment_time', 'tracking_events',
                    ['shipment_id', 'event_time'])
    op.create_index('ix_tracking_events_waybill', 'tracking_events', ['waybill_no'])
    op.execute("ANALYZE tracking_events")


def upgrade() -> None:
    bind = op.get_bind()
    if not is_partitioned(bind):
        with op.batch_alter_table('tracking_events') as batch_op:
            batch_op.drop_constraint('uq_tracking_events_dedup_key', type_='unique')
            batch_op.create_unique_constraint(
                'uq_tracking_events_dedup_key_event_time', ['dedup_key', 'event_time'])
        return
    _set_aside_old_table()
    op.create_table(
        'tracking_events',
        *_columns(),
        sa.PrimaryKeyConstraint('id', 'event_time', name='pk_tracking_events'),
        sa.UniqueConstraint('dedup_key', 'event_time',
                            name='uq_tracking_events_dedup_key_event_time'),
        postgresql_partition_by='RANGE (event_time)',
    )
    create_default_partition(bind)
    months = bind.execute(sa.text(
        f"SELECT DISTINCT date_trunc('month', event_time AT TIME ZONE 'UTC') FROM {_OLD}"
    )).scalars()
    ensure_partitions(bind, [Month(d.year, d.month) for d in months])
    _move_rows_and_finish()


def downgrade() -> None:
    bind = op.get_bind()
    if not is_partitioned(bind):
        with op.batch_alter_table('tracking_events') as batch_op:
            batch_op.drop_constraint('uq_tracking_events_dedup_key_event_time', type_='unique')
            batch_op.create_unique_constraint('uq_tracking_events_dedup_key', ['dedup_key'])
        return
    _set_aside_old_table()
    op.create_table(
        'tracking_events',
        *_columns(),
        sa.PrimaryKeyConstraint('id', name='pk_tracking_events'),
        sa.UniqueConstraint('dedup_key', name='uq_tracking_events_dedup_key'),
    )
    _move_rows_and_finish()
