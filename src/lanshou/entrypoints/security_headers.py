"""Security headers on every response, as one ASGI middleware.

* ``Content-Security-Policy``: scripts, styles, images and connections from this server only.
  No inline script anywhere (page behaviour lives in ``web/static/js`` and reads its data from
  ``data-*`` attributes); inline ``style`` *attributes* stay allowed because ECharts writes
  them into its tooltips, while ``<style>`` elements are not. ``frame-ancestors 'none'`` (and
  ``X-Frame-Options: DENY`` for older browsers): no page can be framed (clickjacking).
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
  ``Cross-Origin-Opener-Policy: same-origin``.
* ``Cache-Control: no-store`` on everything but ``/static``: pages show tenants' data and API
  answers carry tokens, neither belongs in a shared or back-button cache.
* ``Strict-Transport-Security`` outside development (cookies are ``Secure`` there too).

A response that sets one of these itself keeps its own value (the Swagger UI page allows its
inline start-up script by hash).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
STATIC_PREFIX = "/static/"


def security_headers(path: str, *, hsts: bool) -> list[tuple[str, str]]:
    """The headers a response to ``path`` gets (unless it set them itself)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if not path.startswith(STATIC_PREFIX):
        headers.append(("Cache-Control", "no-store"))
    if hsts:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


class SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP response, streaming ones included."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = security_headers(scope["path"], hsts=self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _set_missing(MutableHeaders(scope=message), wanted)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _set_missing(headers: MutableHeaders, wanted: Iterable[tuple[str, str]]) -> None:
    for name, value in wanted:
        if name not in headers:
            headers[name] = value


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def allow_inline_scripts(response: Response) -> Response:
    """For pages we do not write (the vendored Swagger UI): allow exactly their inline scripts,
    by hash, and nothing else inline."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(bytes(response.body))
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' {hashes}".rstrip()
    )
    return response
