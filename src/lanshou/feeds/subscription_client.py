"""The real subscription client: one form POST per waybill, through the egress guard.

Every connection goes through :class:`~lanshou.adapters.notify.egress.GuardedTransport`: the API
address of an integration is typed by an administrator, so it gets the same check as an alert
webhook (public addresses unless ``LANSHOU_EGRESS_ALLOW`` lists it; a test's local double is
allowed that way). Redirects are not followed. The client never raises for a failed request:
it answers an :class:`~lanshou.feeds.subscription_rules.Outcome`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from lanshou.adapters.notify import EgressPolicy, EgressRefused
from lanshou.adapters.notify.egress import GuardedTransport
from lanshou.feeds.subscribe_contracts import (
    KDNIAO_URL,
    KUAIDI100_URL,
    CannotSubscribe,
    Waybill,
    kdniao_form,
    kdniao_outcome,
    kuaidi100_form,
    kuaidi100_outcome,
)
from lanshou.feeds.subscription_rules import Outcome, OutcomeKind

log = logging.getLogger("lanshou.feeds.subscriptions")


@dataclass(frozen=True)
class Account:
    """An aggregator account as a request needs it (copied out of its row, no session)."""

    kind: str  # kuaidi100 | kdniao | douyin
    secret: str  # 快递100 salt / 快递鸟 AppKey
    account_id: str | None  # 快递鸟 EBusinessID
    subscribe_key: str | None  # 快递100 授权key
    callback_url: str | None
    api_url: str | None

    @property
    def url(self) -> str:
        return self.api_url or (KUAIDI100_URL if self.kind == "kuaidi100" else KDNIAO_URL)

    def __repr__(self) -> str:
        return f"Account(kind={self.kind!r}, url={self.url!r}, secret=…)"


def build_form(account: Account, waybill: Waybill) -> dict[str, str]:
    """The request body for ``account``'s aggregator; :class:`CannotSubscribe` if incomplete."""
    if account.kind == "kuaidi100":
        if not account.subscribe_key or not account.callback_url:
            raise CannotSubscribe("the 快递100 account needs its key and a callback URL")
        return kuaidi100_form(
            waybill,
            key=account.subscribe_key,
            salt=account.secret,
            callback_url=account.callback_url,
        )
    if account.kind != "kdniao":
        raise CannotSubscribe(f"{account.kind} registrations are not sent by this client")
    if not account.account_id:
        raise CannotSubscribe("the 快递鸟 account needs its EBusinessID")
    return kdniao_form(waybill, business_id=account.account_id, app_key=account.secret)


class SubscriptionClient:
    """Sends subscription requests; ``transport`` replaces the network only below the guard."""

    def __init__(
        self,
        egress: EgressPolicy,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(
            transport=GuardedTransport(egress, transport),
            timeout=timeout,
            follow_redirects=False,
        )

    def __enter__(self) -> SubscriptionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def subscribe(self, account: Account, waybill: Waybill) -> Outcome:
        try:
            form = build_form(account, waybill)
        except CannotSubscribe as exc:
            return Outcome(OutcomeKind.REFUSED, "lanshou", str(exc))
        try:
            response = self._client.post(account.url, data=form)
        except EgressRefused as exc:
            return Outcome(OutcomeKind.REFUSED, "egress", str(exc))
        except httpx.HTTPError as exc:
            log.warning("%s subscription of %s failed: %s", account.kind, waybill.number, exc)
            return Outcome(OutcomeKind.RETRY, "network", f"{type(exc).__name__}: {exc}")
        read = kuaidi100_outcome if account.kind == "kuaidi100" else kdniao_outcome
        return read(response.status_code, response.text)
