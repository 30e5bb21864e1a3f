"""Databases for the crash tests, on SQLite and on PostgreSQL: fresh ones and copies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, _private_pg_database
from tests.integration.crash.harness import Database, Databases


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Databases]:
    if request.param == "sqlite":
        yield Databases(tmp_path, _sqlite_template, None, "")
        return
    with _private_pg_database("_crash") as base:
        base.dispose()  # a template database must have no connections
        made = Databases(tmp_path, _sqlite_template, base, PG_URL)
        try:
            yield made
        finally:
            made.drop_all()


@pytest.fixture
def crash_database(databases: Databases) -> Database:
    """A migrated, empty database."""
    return databases.fresh("db")
