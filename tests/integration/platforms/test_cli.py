"""`lanshou connect douyin` and `lanshou sync douyin` through Typer, against the fake gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lanshou.bootstrap import Runtime, bootstrap
from lanshou.clock import FixedClock
from lanshou.entrypoints.cli import platforms as platforms_cli
from lanshou.errors import NotFound
from lanshou.settings import load_settings
from tests.douyin_gateway import FakeDouyinGateway
from tests.integration.platforms.conftest import (
    APP_KEY,
    APP_SECRET,
    DOUYIN_SHOP,
    T0,
    Clock,
    make_ctx,
)

H = timedelta(hours=1)
GATEWAY = "https://gw.test"


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[typer.Typer, FakeDouyinGateway, Runtime]]:
    clock = Clock()
    gateway = FakeDouyinGateway(APP_KEY, APP_SECRET, DOUYIN_SHOP, clock)
    settings = load_settings(
        env="test", secret_key="c" * 32, database_url=f"sqlite:///{tmp_path / 'cli.db'}"
    )
    rt = bootstrap(settings, clock=FixedClock(T0))
    rt.platforms = make_ctx(gateway, clock, page_size=2)  # type: ignore[misc]
    monkeypatch.setattr(platforms_cli, "runtime", lambda: rt)
    root = typer.Typer()
    platforms_cli.register(root)

    @root.callback()
    def _root() -> None: ...

    yield root, gateway, rt
    rt.engine.dispose()


def _connect(root: typer.Typer, secret: str = APP_SECRET) -> object:
    return CliRunner().invoke(
        root,
        [
            "connect",
            "douyin",
            "--shop",
            "tianchen",
            "--app-key",
            APP_KEY,
            "--douyin-shop-id",
            DOUYIN_SHOP,
            "--gateway",
            GATEWAY,
        ],
        env={"LANSHOU_DOUYIN_APP_SECRET": secret},
    )


def test_connect_then_sync_prints_a_summary(
    world: tuple[typer.Typer, FakeDouyinGateway, Runtime],
) -> None:
    root, gateway, _ = world
    connected = _connect(root)
    assert connected.exit_code == 0, connected.output  # type: ignore[attr-defined]
    assert connected.output == (  # type: ignore[attr-defined]
        f"connected shop tianchen to 抖店 shop {DOUYIN_SHOP} via {GATEWAY}; "
        "token valid until 2026-11-18 10:00:00+0800\n"
    )
    for i in range(3):
        gateway.put_order(f"50{i}", updated=T0 - H + timedelta(minutes=i))
    gateway.put_order("509", updated=T0 - H, status=1)
    synced = CliRunner().invoke(root, ["sync", "douyin", "--since", "2026-11-11T08:00:00+08:00"])
    assert synced.exit_code == 0, synced.output
    assert synced.output == (
        "tianchen: 4 order(s) in 2 page(s) (2026-11-11 08:00:00+0800 → 2026-11-11 10:00:00+0800): "
        "3 new, 0 updated, 0 unchanged, 1 unpaid skipped, 0 detail call(s), "
        "3 gateway call(s); cursor 2026-11-11 10:00:00+0800\n"
    )


def test_a_refused_connection_stores_nothing_and_exits_1(
    world: tuple[typer.Typer, FakeDouyinGateway, Runtime],
) -> None:
    root, _, _ = world
    refused = _connect(root, secret="wrong-secret")
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "抖店 refused the connection: token.create: 40003 签名错误" in refused.output  # type: ignore[attr-defined]
    unknown = CliRunner().invoke(root, ["sync", "douyin"])
    assert isinstance(unknown.exception, NotFound)
    assert unknown.exception.message == "no shop is connected"


def test_a_sync_the_platform_refuses_exits_1_and_names_the_code(
    world: tuple[typer.Typer, FakeDouyinGateway, Runtime],
) -> None:
    root, gateway, _ = world
    assert _connect(root).exit_code == 0  # type: ignore[attr-defined]
    gateway.refuse_next["/order/logisticsCompanyList"] = {
        "code": 50002,
        "msg": "业务处理失败",
        "sub_code": "isv.business-failed:1",
        "sub_msg": "系统繁忙",
        "log_id": "L9",
        "data": None,
    }
    failed = CliRunner().invoke(root, ["sync", "douyin", "--shop", "tianchen"])
    assert failed.exit_code == 1
    assert failed.output == (
        "tianchen: FAILED after 0 page(s), 0 order(s) written "
        "(2026-11-04 10:00:00+0800 → 2026-11-11 10:00:00+0800): "
        "order.logisticsCompanyList: 50002 业务处理失败 (isv.business-failed:1: 系统繁忙); "
        "the cursor did not move\n"
    )
