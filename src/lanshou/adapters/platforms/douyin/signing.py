"""How a 抖店 gateway call and a pushed message are signed.

Sources (public SDKs): zsmhub/doudian-sdk ``utils/sign_util.go`` (``Sign``, ``Marshal``) and
``core/doudian_op_api_client.go`` (query parameters, ``urlPathToMethod``); the message push
check from minibear2021/doudian ``doudian/core.py`` (``callback``: MD5 of app_key + body +
app_secret against the ``event-sign`` header).

- ``param_json`` is the business parameters as JSON with the keys sorted at every level, no
  spaces, and no HTML escaping: the Go SDK re-encodes through a map (sorted keys) with
  ``SetEscapeHTML(false)``, so ``<``, ``>`` and ``&`` stay as they are and non-ASCII text is
  written as UTF-8. Go still escapes U+2028 and U+2029, and so do we, or the gateway's
  signature over the same object would differ.
- ``sign`` = hex HMAC-SHA256, keyed by the app secret, of
  ``secret + "app_key" + key + "method" + method + "param_json" + json + "timestamp" + ts
  + "v" + v + secret``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

__all__ = ["API_VERSION", "event_sign", "method_of", "param_json", "sign", "sign_pattern"]

API_VERSION = "2"


def method_of(path: str) -> str:
    """``/order/searchList`` → ``order.searchList``."""
    return path.lstrip("/").replace("/", ".")


def param_json(params: dict[str, Any]) -> str:
    """Sorted, compact, unescaped JSON: the exact text that is signed and sent as the body."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def sign_pattern(app_key: str, secret: str, method: str, body: str, timestamp: str) -> str:
    return (
        f"{secret}app_key{app_key}method{method}param_json{body}"
        f"timestamp{timestamp}v{API_VERSION}{secret}"
    )


def sign(app_key: str, secret: str, method: str, body: str, timestamp: str) -> str:
    """``sign_method=hmac-sha256``: lower-case hex."""
    pattern = sign_pattern(app_key, secret, method, body, timestamp)
    return hmac.new(secret.encode(), pattern.encode(), hashlib.sha256).hexdigest()


def event_sign(app_key: str, body: bytes, secret: str) -> str:
    """The ``event-sign`` header of a pushed message: MD5 hex of app_key + body + app_secret."""
    return hashlib.md5(app_key.encode() + body + secret.encode()).hexdigest()  # noqa: S324
