"""Roles and what each may see. Merchant roles are scoped to their shops; the others see all."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MERCHANT_OWNER = "merchant_owner"
    MERCHANT_STAFF = "merchant_staff"
    CS_AGENT = "cs_agent"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def is_merchant(self) -> bool:
        return self in (Role.MERCHANT_OWNER, Role.MERCHANT_STAFF)

    @property
    def sees_all_shops(self) -> bool:
        """Platform-side roles work across tenants; merchants only see their memberships."""
        return not self.is_merchant
