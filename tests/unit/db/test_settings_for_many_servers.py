"""Several servers on one database: start-up refuses what would live on one machine only."""

from __future__ import annotations

import pytest

from lanshou.errors import SettingsError
from lanshou.settings import load_settings

PG = "postgresql+psycopg://lanshou@db.internal/lanshou"
KEY = "k" * 32


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANSHOU_SECRET_KEY", raising=False)  # tests/conftest.py sets one


def test_one_server_may_keep_its_generated_key_sqlite_and_local_evidence() -> None:
    settings = load_settings(env="dev", evidence_store="local", _env_file=None)
    assert (settings.instances, settings.secret_key, settings.database_url) == (1, "", "")


def test_many_servers_with_shared_settings_start() -> None:
    settings = load_settings(instances=3, secret_key=KEY, database_url=PG, _env_file=None)
    assert (settings.instances, settings.evidence_store) == (3, "database")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"env": "dev", "database_url": PG},
            "settings: Value error, LANSHOU_SECRET_KEY is required with LANSHOU_INSTANCES=2: "
            "every server must sign sessions and the audit chain and open stored secrets with "
            "the same key, and a generated key stays in one machine's var directory",
        ),
        (
            {"secret_key": KEY},
            "settings: Value error, LANSHOU_DATABASE_URL must name a PostgreSQL database with "
            "LANSHOU_INSTANCES=2: SQLite is a file on one machine",
        ),
        (
            {"secret_key": KEY, "database_url": PG, "evidence_store": "local"},
            "settings: Value error, LANSHOU_EVIDENCE_STORE=local cannot be used with "
            "LANSHOU_INSTANCES=2: a file uploaded through one server could not be read through "
            "another; use database",
        ),
    ],
)
def test_many_servers_refuse_per_machine_state(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(instances=2, _env_file=None, **overrides)
    assert raised.value.message == message
