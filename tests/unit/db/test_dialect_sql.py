"""The SQL ``adapters.db.dialect`` writes for each database, compiled without connecting."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from lanshou.adapters.db.dialect import LockKey, claim_skip_locked
from lanshou.adapters.db.models.alerts import AlertChannel, AlertOutbox


def _sql(statement: object, dialect: Dialect) -> str:
    return " ".join(str(statement.compile(dialect=dialect)).split())  # type: ignore[attr-defined]


def test_the_lock_keys_keep_the_numbers_running_deployments_lock() -> None:
    assert {k.name: int(k) for k in LockKey} == {
        "AUDIT_CHAIN": 7356001,
        "ANALYTICS_REFRESH": 1280524615,  # 0x4C534147, "LSAG"
        "ANALYTICS_PICKUPS": 1280524624,  # 0x4C534150, "LSAP"
        "TRACKING_FOLD": 1280529478,  # 0x4C535446, "LSTF"; a 32-bit key with a waybill's hash
        "TRACKING_PARTITIONS": 1280529488,  # 0x4C535450, "LSTP"
    }


def test_a_claim_skips_locked_rows_of_the_claimed_table_on_postgresql_only() -> None:
    query = claim_skip_locked(
        select(AlertOutbox.id, AlertChannel.kind)
        .join(AlertChannel, AlertChannel.id == AlertOutbox.channel_id)
        .limit(5),
        of=AlertOutbox,
    )
    head = (
        "SELECT alert_outbox.id, alert_channels.kind FROM alert_outbox "
        "JOIN alert_channels ON alert_channels.id = alert_outbox.channel_id "
    )
    assert _sql(query, postgresql.dialect()) == (
        head + "LIMIT %(param_1)s::INTEGER FOR UPDATE OF alert_outbox SKIP LOCKED"
    )
    assert _sql(query, sqlite.dialect()) == head + "LIMIT ? OFFSET ?"  # no row locks there
