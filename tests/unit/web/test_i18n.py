"""The catalogues are complete, and translation, labels and formatting behave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import lanshou
from lanshou.appeals import STATE_LABELS
from lanshou.i18n import LOCALES, normalize_locale, read_catalogue, translate
from lanshou.i18n.format import (
    capture_time,
    local_time,
    money,
    signed_count,
    signed_money,
    time_left,
)
from lanshou.i18n.labels import SHIPMENT_STATUS, label

SRC = Path(lanshou.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "N_": None, "translate": (2,)}


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(SRC),
        METHODS,
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _file, _line, message, _comments, _ctx in found if isinstance(message, str)}


def test_every_message_in_the_code_is_translated_in_both_catalogues() -> None:
    wanted = _extracted()
    assert "Awaiting pickup" in wanted and "Log in" in wanted
    for locale in LOCALES:
        translated = {m.id for m in read_catalogue(locale) if m.id and m.string}
        assert sorted(wanted - translated) == [], locale


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("created", "已创建", "Created"),
        ("awaiting_pickup", "待揽收", "Awaiting pickup"),
        ("picked_up", "已揽收", "Picked up"),
        ("in_transit", "运输中", "In transit"),
        ("out_for_delivery", "派送中", "Out for delivery"),
        ("delivered", "已签收", "Delivered"),
        ("returned", "已退回", "Returned"),
        ("exception", "异常", "Exception"),
    ],
)
def test_shipment_statuses_have_their_ui_words(code: str, zh: str, en: str) -> None:
    assert label("zh_CN", "shipment_status", code) == zh
    assert label("en", "shipment_status", code) == en


def test_roles_have_their_ui_words() -> None:
    assert [
        label("zh_CN", "role", r)
        for r in ("merchant_owner", "merchant_staff", "cs_agent", "reviewer", "admin")
    ] == ["商家（店主）", "商家员工", "客服", "审核员", "管理员"]


def test_a_withdrawn_appeal_and_a_withdrawn_violation_read_differently() -> None:
    # The merchant took the appeal back / the facts changed and it was not late after all.
    appeal = [translate(loc, STATE_LABELS["withdrawn"]) for loc in ("zh_CN", "en")]
    violation = [label(loc, "violation_state", "withdrawn") for loc in ("zh_CN", "en")]
    assert appeal == ["已撤回", "Withdrawn"]
    assert violation == ["已撤销判定", "Ruling withdrawn"]


def test_unknown_codes_are_shown_as_they_are() -> None:
    assert label("zh_CN", "shipment_status", "teleported") == "teleported"
    assert set(SHIPMENT_STATUS) >= {"awaiting_pickup", "picked_up"}


def test_translate_defaults_to_chinese_and_fills_parameters() -> None:
    assert translate(None, "Orders") == "订单"
    assert translate("en", "Orders") == "Orders"
    assert translate("zh-CN", "%(total)s orders", total=3) == "共 3 个订单"
    assert translate("fr", "Orders") == "订单"  # unsupported → the default
    assert translate("en", "a message nobody wrote") == "a message nobody wrote"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zh-CN", "zh_CN"),
        ("zh_cn", "zh_CN"),
        ("zh", "zh_CN"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_locale_names_are_normalised(value: str | None, expected: str | None) -> None:
    assert normalize_locale(value) == expected


def test_money_and_beijing_time() -> None:
    assert money(1230) == "¥12.30"
    assert money(5) == "¥0.05"
    assert money(134480) == "¥1,344.80"
    assert money(-250) == "-¥2.50"
    assert money(None) == ""
    assert local_time(datetime(2026, 11, 1, 16, 30, tzinfo=UTC)) == "2026-11-02 00:30"


def test_a_change_of_money_or_of_a_count_is_signed_one_way() -> None:
    assert [signed_money(f) for f in (3900, -2000, 0, -123456)] == [
        "+¥39.00",
        "-¥20.00",
        "¥0.00",
        "-¥1,234.56",
    ]
    assert [signed_count(n) for n in (3, -20, 0)] == ["+3", "-20", "0"]


def test_time_left_and_overdue() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert (
        time_left(now + timedelta(hours=3, minutes=20, seconds=59), now, "zh_CN")
        == "剩余 3小时20分"
    )
    assert time_left(now + timedelta(days=2, hours=1), now, "en") == "2d 1h left"
    assert time_left(now - timedelta(minutes=5), now, "en") == "overdue 0h 05m"
    assert time_left(now - timedelta(minutes=5), now, "zh_CN") == "已超时 0小时05分"
    assert time_left(None, now, "en") == ""


def test_the_cli_language_is_lang_else_the_default_locale_setting() -> None:
    from lanshou.entrypoints.cli.common import cli_locale
    from lanshou.errors import InvalidInput

    assert cli_locale(None, "zh_CN") == "zh_CN"
    assert cli_locale(None, "en") == "en"
    assert cli_locale("en-US", "zh_CN") == "en"
    assert cli_locale("zh-CN", "en") == "zh_CN"
    with pytest.raises(InvalidInput) as refused:
        cli_locale("fr", "zh_CN")
    assert refused.value.message == "--lang: 'fr' is not a language lanshou speaks; use zh_CN or en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr;q=1, zh-CN;q=0.5, en;q=0.2", "zh_CN"),
        ("en;q=0.3, zh;q=0.7", "zh_CN"),
        ("zh-TW, en", "zh_CN"),  # any Chinese reads the Chinese catalogue
        ("en;q=0, zh;q=0", None),  # q=0: "not this one"
        ("en;q=abc, zh-CN", "zh_CN"),  # a malformed weight drops that entry only
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_picks_the_most_preferred_language_we_speak(
    header: str | None, expected: str | None
) -> None:
    from lanshou.entrypoints.api.language import accepted_locale

    assert accepted_locale(header) == expected


def test_an_answer_s_language_is_lang_then_the_header_then_the_user_then_the_setting() -> None:
    from lanshou.entrypoints.api.language import answer_locale
    from lanshou.errors import InvalidInput

    assert answer_locale("en", "zh-CN", "zh_CN", "zh_CN") == "en"
    assert answer_locale(None, "en-GB", "zh_CN", "zh_CN") == "en"
    assert answer_locale(None, "fr", "en", "zh_CN") == "en"
    assert answer_locale(None, None, None, "en") == "en"
    assert answer_locale(None, None, None, "zh_CN") == "zh_CN"
    with pytest.raises(InvalidInput) as refused:
        answer_locale("de", None, None, "zh_CN")
    assert (refused.value.message, refused.value.details) == (
        "lang: 'de' is not zh_CN or en",
        {"field": "lang"},
    )


def test_a_photos_capture_time_is_beijing_time_when_the_camera_gave_its_offset() -> None:
    assert capture_time("2026-11-29T21:05:33+08:00") == "2026-11-29 21:05:33"
    assert capture_time("2026-11-29T08:05:33-05:00") == "2026-11-29 21:05:33"
    assert capture_time("2026-11-03T09:15:00") == "2026-11-03 09:15:00"  # camera clock, no zone
    assert capture_time("2026:11:03 9h") == "2026:11:03 9h"  # not a time: shown as written


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_shows_an_http_status_number(locale: str) -> None:
    """People are told what happened and what to do, never 「（409）」 or "(413)"."""
    status = re.compile(r"[(（][1-5]\d\d[)）]")
    shown = [m.string for m in read_catalogue(locale) if m.id and isinstance(m.string, str)]
    assert [s for s in shown if status.search(s)] == []
