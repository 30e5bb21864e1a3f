"""Mapping files: the built-ins load; a bad file names the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanshou.errors import InvalidInput
from lanshou.imports import GENERIC_HEADER
from lanshou.imports.mapping import load_mapping


@pytest.mark.parametrize("source", ["generic", "douyin", "olist"])
def test_built_in_mappings_load(source: str) -> None:
    mapping = load_mapping(source)
    assert mapping.source == source
    assert mapping.names("order_id")


def test_the_generic_header_is_the_generic_layout_without_its_optional_columns() -> None:
    columns = load_mapping("generic").columns
    assert {c for c in columns.values() if isinstance(c, str)} - set(GENERIC_HEADER) == {
        "city",
        "exp_ship_time",
    }
    assert [c for c in columns.values() if c in GENERIC_HEADER] == list(GENERIC_HEADER)


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


@pytest.mark.parametrize(
    ("source", "raw", "status"),
    [
        ("generic", "cancelled", "cancelled"),
        ("generic", "Canceled", "cancelled"),
        ("generic", "已取消", "cancelled"),
        ("generic", "交易关闭", "cancelled"),
        ("generic", "refunded_before_shipping", "cancelled"),
        ("generic", " PAID ", "paid"),
        ("generic", "已发货", "shipped"),
        ("douyin", "canceled", "cancelled"),
        ("douyin", "未发货仅退款", "cancelled"),
        ("douyin", "Cancelled", "cancelled"),
        ("olist", "canceled", "canceled"),  # the olist profile skips Olist's own word
        ("olist", "unavailable", "unavailable"),
        ("olist", "delivered", "delivered"),
    ],
)
def test_the_status_words_exports_use(source: str, raw: str, status: str) -> None:
    assert load_mapping(source).status(raw, False) == status


@pytest.mark.parametrize("source", ["generic", "douyin", "olist"])
def test_an_unknown_status_word_is_not_guessed(source: str) -> None:
    assert load_mapping(source).status("teleported", False) is None


def test_a_status_value_must_be_an_order_status(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "source: mine\nplatform: douyin\ncolumns: {order_id: a, paid_at: b}\n"
        "status_values: {关闭: gone}\n",
        "utf-8",
    )
    with pytest.raises(
        InvalidInput, match=r"m\.yaml: status_values: 关闭: 'gone' is not an order status"
    ):
        load_mapping("generic", path)
