"""Shared fixtures: a migrated database on SQLite and on PostgreSQL for every integration test.

PostgreSQL comes from LANSHOU_TEST_DATABASE_URL (``make test`` starts a throw-away cluster and sets
it). Without it PostgreSQL tests skip loudly; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.adapters.db.migrate import upgrade
from lanshou.adapters.db.models import Base

IN_CI = os.environ.get("CI", "").lower() == "true"
# Services sign audit records with a key derived from the process's LANSHOU_SECRET_KEY
# (lanshou.audit.keys); tests that call them without settings run under this one.
os.environ.setdefault("LANSHOU_SECRET_KEY", "tests-audit-secret-0123456789abcdef")
PG_URL = os.environ.get("LANSHOU_TEST_DATABASE_URL", "")


def missing_service(what: str) -> None:
    """Skip with a loud message on a laptop; fail under CI, where every service must be there."""
    message = f"!!! {what} is not available"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test then copies the file, which is far faster than migrating again."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def _private_pg_database(label: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database of this test process alone (xdist workers and parallel
    runs never meet), dropped afterwards."""
    if not PG_URL:
        missing_service("PostgreSQL (set LANSHOU_TEST_DATABASE_URL or run `make test`)")
    base = make_url(PG_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{base.database}{label}_{worker}_{os.getpid()}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine]:
    """The PostgreSQL database behind `db_engine`."""
    with _private_pg_database("") as engine:
        yield engine


@pytest.fixture(scope="session")
def _pg_twin_engine() -> Iterator[Engine]:
    """A second private PostgreSQL database, for tests that build two worlds side by side."""
    with _private_pg_database("_twin") as engine:
        yield engine


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Engine]:
    """A freshly migrated, empty database; every test using it runs on both backends."""
    if request.param == "sqlite":
        path = tmp_path / "lanshou.db"
        shutil.copy(_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("_pg_engine")
        _truncate_all(engine)
        yield engine


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return session_factory(db_engine)


@pytest.fixture
def pg_sessions(_pg_engine: Engine) -> sessionmaker[Session]:
    """Sessions on an empty PostgreSQL database, for tests of what only PostgreSQL has (advisory
    locks): they run once, and under CI a missing PostgreSQL fails them instead of skipping."""
    _truncate_all(_pg_engine)
    return session_factory(_pg_engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s
