"""`lanshou recompute` and `lanshou sweep` say what they did in one language: Chinese by
default (full-width punctuation), English with `--lang en` or LANSHOU_DEFAULT_LOCALE (#15)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from lanshou.adapters.db.models import Order, Shipment
from lanshou.entrypoints.cli import rules
from lanshou.settings import get_settings
from tests.integration.analytics.world import NOW as AT
from tests.integration.analytics.world import analytics_cli, build

NOW = "2026-11-06T12:00:00+08:00"
EARLIER = "2026-11-05T10:00:00+08:00"
LATER = "2026-11-09T12:00:00+08:00"


def _open_orders(sessions: sessionmaker[Session]) -> None:
    """Two shipments not yet picked up: one paid three days ago and never shipped, one shipped
    yesterday morning and never scanned."""
    with sessions() as s:
        for key, status, paid, shipped in (
            ("P001", "paid", AT - timedelta(days=3), None),
            ("P002", "shipped", AT - timedelta(hours=28), AT - timedelta(hours=27)),
        ):
            order = Order(
                shop_id=1,
                external_id=key,
                status=status,
                paid_at=paid,
                amount_fen=5000,
                quantity=1,
                created_at=paid,
                updated_at=paid,
            )
            s.add(order)
            s.flush()
            s.add(
                Shipment(
                    order_id=order.id,
                    key=key,
                    carrier_id=1,
                    outlet_id=1,
                    waybill_no=f"W{key}" if shipped else None,
                    shipped_at=shipped,
                    status=status,
                    amount_fen=5000,
                )
            )
        s.commit()


@pytest.fixture
def cli(
    db_engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[typer.Typer]:
    build(sessions)
    _open_orders(sessions)
    monkeypatch.delenv("LANSHOU_DEFAULT_LOCALE", raising=False)
    with analytics_cli(db_engine, monkeypatch) as app:
        rules.register(app)
        yield app


def _run(app: typer.Typer, *args: str) -> str:
    out = CliRunner().invoke(app, list(args))
    assert out.exit_code == 0, out.output
    return out.output


def test_recompute_says_what_it_did_in_chinese_by_default(cli: typer.Typer) -> None:
    assert (
        _run(cli, "recompute", "--now", NOW)
        == "已重新判定未揽收的包裹 2 个：新增违规 2 条，变更 0 条。\n"
    )


def test_recompute_in_english_with_lang_en_or_the_default_locale(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        _run(cli, "recompute", "--now", NOW, "--lang", "en")
        == "Open shipments recomputed: 2; violations new: 2, changed: 0.\n"
    )
    monkeypatch.setenv("LANSHOU_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    # judged already: nothing new the second time
    assert _run(cli, "recompute", "--now", NOW) == (
        "Open shipments recomputed: 2; violations new: 0, changed: 0.\n"
    )


def test_sweep_says_what_it_did_in_either_language(cli: typer.Typer) -> None:
    # judged before either deadline passed: the sweep at NOW finds both violations
    assert _run(cli, "recompute", "--now", EARLIER) == (
        "已重新判定未揽收的包裹 2 个：新增违规 0 条，变更 0 条。\n"
    )
    assert _run(cli, "sweep", "--now", NOW) == (
        "检查包裹 2 个：新增违规 2 条，变更 0 条；预警 0 条；记账 6 笔；申诉过期 0 件；"
        "投诉任务升级 0 件。\n"
    )
    # three days on, the unpicked parcel's automatic refund falls due
    assert _run(cli, "sweep", "--now", LATER, "--lang", "en") == (
        "Shipments checked: 1; violations new: 0, changed: 1; warnings: 0; ledger moves: 1; "
        "appeals expired: 0; complaint tasks escalated: 0.\n"
    )
    assert _run(cli, "sweep", "--now", LATER, "--lang", "zh-CN") == (
        "检查包裹 0 个：新增违规 0 条，变更 0 条；预警 0 条；记账 0 笔；申诉过期 0 件；"
        "投诉任务升级 0 件。\n"
    )
