"""Mapping files: the built-ins load; a bad file names the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanshou.errors import InvalidInput
from lanshou.imports.mapping import load_mapping


@pytest.mark.parametrize("source", ["generic", "douyin", "olist"])
def test_built_in_mappings_load(source: str) -> None:
    mapping = load_mapping(source)
    assert mapping.source == source
    assert mapping.names("order_id")


def test_douyin_statuses_translate() -> None:
    m = load_mapping("douyin")
    assert [m.status(s, False) for s in ("已取消", "待发货", "已发货", "已完成", "4")] == [
        "cancelled",
        "paid",
        "shipped",
        "completed",
        "cancelled",
    ]
    assert m.status(None, True) == "shipped"


def test_a_bad_mapping_names_file_key_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "source: mine\nplatform: douyin\ncolumns:\n  order_id: 单号\n  paid_at: 时间\n"
        "  colour: 颜色\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        load_mapping("generic", path)
    assert err.value.message.startswith(f"{path}: columns: unknown field 'colour'")


def test_a_mapping_without_required_fields_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "source: mine\nplatform: douyin\ncolumns:\n  order_id: 单号\n", encoding="utf-8"
    )
    with pytest.raises(
        InvalidInput,
        match=r"mine.yaml: columns: required field\(s\) missing: "
        "paid_at",
    ):
        load_mapping("generic", path)


def test_unknown_source_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown source 'taobao'"):
        load_mapping("taobao")
