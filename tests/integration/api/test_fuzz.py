"""The whole OpenAPI document fuzzed with schemathesis against a real app on a seeded SQLite world.

Every operation is called with generated valid and invalid requests, once with a merchant's token
and once with a reviewer's; each answer must be a documented status with a body that matches the
documented schema, and never a 5xx. Generation is derandomised so CI sees the same cases every run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from lanshou.adapters.db.engine import make_engine, session_factory
from lanshou.entrypoints.app import create_app
from lanshou.identity import auth
from tests.integration.web.world import bearer, build_world, make_runtime

# Besides the coverage phase's boundary values (0, 2^53, 2^63, year 1 and 9999 …), a few random
# valid and invalid requests per operation: ~1,400 cases, each sent twice, in about a minute.
# Unexpected methods (405 from the router) are left out: they cost a request per method and path.
CONFIG = """
[generation]
max-examples = 6
deterministic = true
database = "none"

[phases.coverage]
unexpected-methods = []
"""
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[FastAPI]:
    """One seeded SQLite world for the whole module: the fuzzer's writes pile up, as in use."""
    path = tmp_path_factory.mktemp("fuzz") / "lanshou.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    sessions = session_factory(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        build_world(sessions)
    yield create_app(make_runtime(sessions))
    engine.dispose()


@pytest.fixture(scope="module")
def tokens(fuzz_app: FastAPI) -> dict[str, dict[str, str]]:
    with TestClient(fuzz_app) as client:
        return {name: bearer(client, name) for name in ("merchant", "reviewer")}


# The document does not depend on the data: read it from an app over an empty, unopened database.
DOCUMENT = create_app(make_runtime(session_factory(make_engine("sqlite://")))).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_str(CONFIG))


@schema.parametrize()
def test_no_request_breaks_the_api(
    case: schemathesis.Case, fuzz_app: FastAPI, tokens: dict[str, dict[str, str]]
) -> None:
    for headers in tokens.values():
        case.call_and_validate(app=fuzz_app, headers=headers, checks=CHECKS)
