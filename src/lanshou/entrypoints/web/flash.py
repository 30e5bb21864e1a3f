"""Success messages carried across the redirect that ends a form action (post/redirect/get).

The cookie holds the English msgid and its parameters, signed with the server's secret key so
that nobody can make the site show a sentence of their choosing; the page that follows
translates it in the user's language (a language switch therefore confirms itself in the new
one) and clears the cookie. No script or inline style is involved, so the CSP is unaffected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import cache

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from lanshou.entrypoints.web.context import WebContext
from lanshou.i18n import N_, translate

FLASH_COOKIE = "lanshou_flash"
FLASH_SECONDS = 120  # long enough for the redirect, short enough not to surprise later
_MAX_PARAM = 200

# Said by more than one page (the board and the case page both log contacts).
CONTACT_LOGGED = N_("Contact logged.")
TASK_DONE = N_("Task marked done.")  # a complaint task or an assignment


@cache
def _key(secret: str) -> bytes:
    """A key of its own for flash cookies, derived so it never equals another use's key."""
    return hashlib.sha256(b"lanshou-flash\x00" + secret.encode()).digest()


def _signature(ctx: WebContext, payload: str) -> str:
    key = _key(ctx.runtime.settings.resolved_secret_key())
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def encode(ctx: WebContext, msgid: str, params: dict[str, str | int]) -> str:
    text = {k: str(v)[:_MAX_PARAM] for k, v in params.items()}
    raw = json.dumps([msgid, text], ensure_ascii=False, separators=(",", ":")).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{_signature(ctx, payload)}"


def decode(ctx: WebContext, value: str) -> tuple[str, dict[str, str]] | None:
    """The message of a cookie we signed, or None for anything else (tampered, malformed)."""
    payload, _, signature = value.partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(ctx, payload)):
        return None
    try:
        msgid, params = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(msgid, str) or not isinstance(params, dict):
        return None
    return msgid, {str(k): str(v) for k, v in params.items()}


def success(ctx: WebContext, url: str, msgid: str, **params: str | int) -> RedirectResponse:
    """Redirect (303) to ``url``, where the page will say ``msgid`` (an ``N_``-marked id)."""
    response = RedirectResponse(url, status_code=303)
    attach(ctx, response, msgid, **params)
    return response


def attach(ctx: WebContext, response: Response, msgid: str, **params: str | int) -> None:
    """Have the next page say ``msgid``; for a response that sets cookies of its own first."""
    ctx.set_cookie(response, FLASH_COOKIE, encode(ctx, msgid, params), FLASH_SECONDS)


def is_fragment(request: Request) -> bool:
    """htmx swaps (a countdown refresh) are not the page the user was sent to."""
    return request.headers.get("hx-request") == "true"


def take(ctx: WebContext) -> str:
    """The pending message in the user's language ('' if none); pair with :func:`clear`."""
    value = ctx.request.cookies.get(FLASH_COOKIE)
    if not value or is_fragment(ctx.request):
        return ""
    message = decode(ctx, value)
    if message is None:
        return ""
    msgid, params = message
    return translate(ctx.locale, msgid, **params)


def clear(ctx: WebContext, response: Response) -> None:
    if FLASH_COOKIE in ctx.request.cookies and not is_fragment(ctx.request):
        response.delete_cookie(FLASH_COOKIE, path="/")
