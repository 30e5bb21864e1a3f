"""The demo accounts ``make run`` prints; created only when LANSHOU_ENV=dev."""

from __future__ import annotations

DEMO_PASSWORD = "lanshou-demo"  # noqa: S105 - public demo accounts, dev mode only

# username, role in Chinese, role in English
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("merchant", "商家（店主）", "merchant owner"),
    ("staff", "商家员工", "merchant staff"),
    ("cs", "客服", "customer-service agent"),
    ("reviewer", "审核员", "reviewer"),
    ("admin", "管理员", "admin"),
)
