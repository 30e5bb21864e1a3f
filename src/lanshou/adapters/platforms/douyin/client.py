"""Calls to the 抖店 gateway: signed requests, tokens refreshed ahead of expiry, errors mapped.

Contract (zsmhub/doudian-sdk ``core/doudian_op_api_client.go``, ``core/create_token_request.go``,
``core/refresh_token_request.go``; minibear2021/doudian ``doudian/core.py``): every call is a POST
to ``{gateway}/{path}`` with ``app_key``, ``method``, ``timestamp`` (Unix seconds), ``v=2``,
``sign``, ``sign_method=hmac-sha256`` and, except for the token calls, ``access_token`` in the
query string, and ``param_json`` as the body. The answer is ``{code, msg, sub_code, sub_msg,
data, log_id}``; code 10000 is success. ``/token/create`` (``grant_type=authorization_self`` and
``shop_id`` for a self-use app, ``authorization_code`` and ``code`` for a tool app) and
``/token/refresh`` (``grant_type=refresh_token``) answer ``access_token``, ``expires_in``
(seconds), ``refresh_token``, ``shop_id``, ``shop_name``.

Secrets never leave this module except in the signed request: ``Credentials`` and ``Token``
hide them from ``repr``, nothing here logs, and httpx's request log line shows ``***`` for the
access token and the sign.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx

from lanshou.adapters.platforms.douyin.errors import (
    EXPIRED_TOKEN_SUB_CODES,
    SUCCESS,
    TRAFFIC_LIMITED,
    AccessTokenExpired,
    DouyinError,
    GatewayUnreachable,
    TrafficLimited,
)
from lanshou.adapters.platforms.douyin.signing import API_VERSION, method_of, param_json, sign

__all__ = ["DEFAULT_GATEWAY", "SANDBOX_GATEWAY", "Credentials", "DouyinClient", "Token"]

DEFAULT_GATEWAY = "https://openapi-fxg.jinritemai.com"
SANDBOX_GATEWAY = "https://openapi-sandbox.jinritemai.com"
# A token this close to its expiry is refreshed before the call instead of failing in it.
REFRESH_AHEAD = timedelta(minutes=30)


_HIDDEN_PARAMS = ("access_token", "sign")


class _HideTokens(logging.Filter):
    """httpx logs every request's URL at INFO, and the gateway wants the access token in the
    query string: without this the server's log would hold live tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_hidden(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _hidden(url: httpx.URL) -> httpx.URL:
    for name in _HIDDEN_PARAMS:
        if name in url.params:
            url = url.copy_set_param(name, "***")
    return url


logging.getLogger("httpx").addFilter(_HideTokens())


@dataclass(frozen=True)
class Credentials:
    app_key: str
    app_secret: str = field(repr=False)
    gateway: str = DEFAULT_GATEWAY


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    shop_id: str = ""
    shop_name: str = ""


@dataclass
class DouyinClient:
    """One app's calls for one shop. ``on_token`` is told every new token so it can be stored
    before the call that needed it goes on (a refresh invalidates the old refresh token)."""

    credentials: Credentials
    transport: httpx.BaseTransport
    clock: Callable[[], datetime]
    token: Token | None = None
    on_token: Callable[[Token], None] | None = None
    self_shop_id: str | None = None  # set for a self-use app: its token can be re-created
    sleep: Callable[[float], None] = time.sleep
    throttle_retries: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 12.0
    calls: int = 0  # gateway requests made, retries included

    def create_token_self(self, shop_id: str) -> Token:
        """Self-use app (自用型): a token for the shop the app belongs to."""
        params = {"code": "", "grant_type": "authorization_self", "shop_id": shop_id}
        return self._take_token(self._with_backoff("/token/create", params, None))

    def create_token_code(self, code: str) -> Token:
        """Tool app (工具型): exchange the code of the merchant's authorisation."""
        params = {"code": code, "grant_type": "authorization_code"}
        return self._take_token(self._with_backoff("/token/create", params, None))

    def refresh(self) -> Token:
        """A new token from the refresh token. A self-use app whose refresh token was refused
        (expired after 14 days, or spent by a refresh whose answer was never stored) asks for a
        new token by its shop id instead: that needs no merchant action."""
        if self.token is None:
            raise DouyinError("token.refresh", 0, "no token to refresh: connect the shop first")
        params = {"grant_type": "refresh_token", "refresh_token": self.token.refresh_token}
        try:
            return self._take_token(self._with_backoff("/token/refresh", params, None))
        except (TrafficLimited, GatewayUnreachable):
            raise
        except DouyinError:
            if not self.self_shop_id:
                raise
            return self.create_token_self(self.self_shop_id)

    def call(self, path: str, params: dict[str, Any]) -> Any:
        """The ``data`` of a successful call. A token near expiry is refreshed first; a token
        the gateway calls expired is refreshed once and the call repeated; throttling is
        retried with exponential back-off; anything else raises :class:`DouyinError`."""
        if self.token is None:
            raise DouyinError(method_of(path), 0, "not connected: no access token")
        if self.token.expires_at - self.clock() <= REFRESH_AHEAD:
            self.refresh()
        try:
            return self._with_backoff(path, params, self.token.access_token)
        except AccessTokenExpired:
            self.refresh()
            return self._with_backoff(path, params, self.token.access_token)

    def _take_token(self, data: Any) -> Token:
        try:
            token = Token(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                expires_at=self.clock() + timedelta(seconds=int(data["expires_in"])),
                shop_id=str(data.get("shop_id", "")),
                shop_name=str(data.get("shop_name", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayUnreachable("token", f"token answer lacks {exc}") from exc
        if self.token is not None and not token.shop_id:
            token = replace(token, shop_id=self.token.shop_id, shop_name=self.token.shop_name)
        self.token = token
        if self.on_token is not None:
            self.on_token(token)
        return token

    def _with_backoff(self, path: str, params: dict[str, Any], access_token: str | None) -> Any:
        for attempt in range(self.throttle_retries + 1):
            try:
                return self._post(path, params, access_token)
            except TrafficLimited:
                if attempt == self.throttle_retries:
                    raise
                self.sleep(self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, path: str, params: dict[str, Any], access_token: str | None) -> Any:
        method = method_of(path)
        body = param_json(params)
        timestamp = str(int(self.clock().timestamp()))
        query = {
            "app_key": self.credentials.app_key,
            "method": method,
            "timestamp": timestamp,
            "v": API_VERSION,
            "sign": sign(
                self.credentials.app_key, self.credentials.app_secret, method, body, timestamp
            ),
            "sign_method": "hmac-sha256",
        }
        if access_token is not None:
            query["access_token"] = access_token
        url = f"{self.credentials.gateway.rstrip('/')}/{path.lstrip('/')}"
        self.calls += 1
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout_seconds) as http:
                response = http.post(
                    url,
                    params=query,
                    content=body.encode(),
                    headers={"Content-Type": "application/json", "Accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise GatewayUnreachable(method, type(exc).__name__) from exc
        if response.status_code != 200:
            raise GatewayUnreachable(method, f"HTTP {response.status_code}")
        try:
            answer = response.json()
            code = int(answer["code"])
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayUnreachable(method, "the answer is not the gateway's JSON") from exc
        if code == SUCCESS:
            return answer.get("data")
        details = (
            method,
            code,
            str(answer.get("msg", "")),
            str(answer.get("sub_code", "")),
            str(answer.get("sub_msg", "")),
            str(answer.get("log_id", "")),
        )
        sub_code = details[3]
        if code == TRAFFIC_LIMITED or sub_code == "isv.traffic-limited":
            raise TrafficLimited(*details)
        if sub_code in EXPIRED_TOKEN_SUB_CODES:
            raise AccessTokenExpired(*details)
        raise DouyinError(*details)
