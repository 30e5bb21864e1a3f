"""Small pieces of the web layer that need no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lanshou.domain.roles import Role
from lanshou.entrypoints.web.context import safe_next
from lanshou.entrypoints.web.rendering import countdown, navigation
from lanshou.entrypoints.web.routes.appeals import error_message
from lanshou.entrypoints.web.routes.orders import _window
from lanshou.errors import InvalidInput, PayloadTooLarge
from lanshou.i18n.format import file_size
from lanshou.identity.auth import Principal, hash_password, verify_password
from lanshou.identity.scope import Scope, scoped_orders
from lanshou.orders.listing import OrderFilters


def _principal(role: Role) -> Principal:
    return Principal(1, "u", "U", role, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/orders?page=2", "/orders?page=2"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_local_redirects_are_followed(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_menus_follow_the_role() -> None:
    def titles(role: Role) -> list[str]:
        return [item.title for item in navigation(_principal(role))]

    work = ["Violations & appeals", "Complaint tasks", "My tasks", "Losses & risk", "Carriers"]
    assert titles(Role.MERCHANT_OWNER) == [
        "To do",
        "At risk",
        "Orders",
        *work,
        "What-if",
        "Alert settings",
        "Delivery log",
    ]
    assert titles(Role.MERCHANT_STAFF) == ["To do", "At risk", "Orders", *work, "Delivery log"]
    assert titles(Role.REVIEWER) == [
        "To do",
        "Orders",
        "Appeal review",
        "Complaints",
        "My tasks",
    ]
    assert titles(Role.CS_AGENT) == [
        "To do",
        "At risk",
        "Orders",
        "Violations & appeals",
        "Complaints",
        "My tasks",
        "Losses & risk",
        "Carriers",
        "Delivery log",
    ]
    assert titles(Role.ADMIN) == [
        "To do",
        "At risk",
        "Orders",
        "Violations & appeals",
        "Appeal review",
        "Complaints",
        "My tasks",
        "Losses & risk",
        "Carriers",
        "What-if",
        "Alert settings",
        "Delivery log",
        "Users & tokens",
        "Platform connections",
    ]
    assert navigation(None) == []


def test_page_links_show_a_window_with_gaps() -> None:
    assert _window(1, 1) == [1]
    assert _window(1, 3) == [1, 2, 3]
    assert _window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert _window(20, 20) == [1, None, 18, 19, 20]


def test_passwords_are_hashed_with_argon2_and_verified() -> None:
    hashed = hash_password("s3cret-pass")
    assert hashed.startswith("$argon2id$") and "s3cret-pass" not in hashed
    assert verify_password(hashed, "s3cret-pass")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not-a-hash", "wrong")


def test_the_scope_limits_merchants_and_not_platform_roles() -> None:
    limited = str(
        scoped_orders(Scope(frozenset({3, 1}))).compile(compile_kwargs={"literal_binds": True})
    )
    assert "orders.shop_id IN (1, 3)" in limited
    assert "WHERE" not in str(scoped_orders(Scope(None)))
    nothing = str(scoped_orders(Scope(frozenset())).compile(compile_kwargs={"literal_binds": True}))
    assert "orders.shop_id IN (-1)" in nothing


def test_filters_refuse_unknown_statuses_and_reversed_ranges() -> None:
    with pytest.raises(InvalidInput):
        OrderFilters(status="lost")
    with pytest.raises(InvalidInput):
        OrderFilters(
            paid_from=datetime(2026, 11, 2, tzinfo=UTC).date(),
            paid_to=datetime(2026, 11, 1, tzinfo=UTC).date(),
        )


def test_the_countdown_reads_as_a_clock_then_overdue() -> None:
    assert countdown(3 * 3600 + 20 * 60 + 5, "zh_CN") == "03:20:05"
    assert countdown(86400 + 59, "zh_CN") == "1天 00:00:59"
    assert countdown(2 * 86400, "en") == "2d 00:00:00"
    assert countdown(0, "zh_CN") == "已超时"
    assert countdown(-5, "en") == "Overdue"


def test_a_too_large_file_is_explained_without_an_http_status() -> None:
    exc = PayloadTooLarge("evidence file exceeds 10 MB", scope="file", limit=10 * 1024 * 1024)
    assert error_message("zh_CN", exc, "照片.jpg") == (
        "文件「照片.jpg」太大：每个文件最大 10 MB。"
        "请缩小后重新上传（例如降低照片分辨率、截短录音）。"
    )
    assert error_message("en", exc, "a.jpg") == (
        "The file a.jpg is too large: each file may be at most 10 MB. Make it smaller (a photo at "
        "a lower resolution, a shorter recording) and upload it again."
    )
    case = PayloadTooLarge("a case may hold at most …", scope="case", limit=20 * 1024)
    assert error_message("zh_CN", case, "录音.mp3") == (
        "加上文件「录音.mp3」后，本案的证据总量会超过上限 20 KB。请只上传能说明情况的文件。"
    )
    assert error_message("en", case, "call.mp3") == (
        "With the file call.mp3 this case's evidence would pass 20 KB in all, the most one case "
        "may hold. Upload only the files that show what happened."
    )


def test_a_size_limit_reads_in_mb_or_kb() -> None:
    assert [file_size(n) for n in (10 * 1024 * 1024, 1536 * 1024, 20 * 1024, 100)] == [
        "10 MB",
        "1.5 MB",
        "20 KB",
        "1 KB",
    ]
