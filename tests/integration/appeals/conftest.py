"""The web/API test world plus one pickup-timeout violation of shop A with money booked."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from lanshou.bootstrap import Runtime
from lanshou.domain.roles import Role
from lanshou.entrypoints.app import create_app
from lanshou.identity.auth import create_user
from tests.integration.web.world import (
    NOW,
    PASSWORD,
    World,
    _fast_password_hashing,
    build_world,
    insert_violation,
    make_runtime,
)

__all__ = ["_fast_password_hashing"]


def add_violation(
    sessions: sessionmaker[Session], order_id: int, detected_days_ago: float = 1
) -> int:
    with sessions() as s:
        violation_id = insert_violation(s, 1, order_id, detected_days_ago)
        s.commit()
        return violation_id


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    w = build_world(sessions)
    with sessions() as s:
        create_user(s, "reviewer2", PASSWORD, Role.REVIEWER, "Reviewer 2", [], NOW)
        create_user(s, "agent", PASSWORD, Role.CS_AGENT, "客服", [], NOW)
        s.commit()
    return w


@pytest.fixture
def violation_id(sessions: sessionmaker[Session], world: World) -> int:
    return add_violation(sessions, world.order_ids["A000"])


@pytest.fixture
def runtime(sessions: sessionmaker[Session], world: World, tmp_path: Path) -> Runtime:
    return make_runtime(sessions, var_dir=tmp_path)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c


def jpeg_bytes(color: str = "red", exif: bool = True) -> bytes:
    img = Image.new("RGB", (8, 8), color)
    out = io.BytesIO()
    if exif:
        e = Image.Exif()
        e[0x0132] = "2026:11:03 09:15:00"
        gps = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 9.0, 36.0)}
        e[0x8825] = gps
        img.save(out, "JPEG", exif=e.tobytes())
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def png_bytes(color: str = "blue") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(out, "PNG")
    return out.getvalue()
