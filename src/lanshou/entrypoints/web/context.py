"""Who is asking, in which language, with which CSRF token: resolved once per browser request.

Logged-in users' CSRF token belongs to their server-side session. Before login (the login form,
the language switch) a random token lives in a cookie and must be echoed in the form
(double submit), so every state-changing form is protected.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from lanshou.adapters.db.engine import unit_of_work
from lanshou.bootstrap import Runtime
from lanshou.enforcement import RulesContext
from lanshou.errors import AuthenticationFailed, PermissionDenied
from lanshou.i18n import normalize_locale
from lanshou.identity import Principal, principal_for_session

SESSION_COOKIE = "lanshou_session"
LOCALE_COOKIE = "lanshou_locale"
CSRF_COOKIE = "lanshou_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebContext:
    request: Request
    runtime: Runtime
    principal: Principal | None
    locale: str
    csrf_token: str
    now: datetime
    new_anonymous_csrf: bool = False  # the token was just made: set the cookie, trust no form

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise AuthenticationFailed("login required")
        return self.principal

    @property
    def rules(self) -> RulesContext:
        """Profiles and calendars, the runtime's (loaded once per process)."""
        return self.runtime.rules

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        """Every cookie we set: HttpOnly, SameSite=Lax, Secure outside development."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=not self.runtime.settings.is_dev,
            path="/",
        )


def load_context(request: Request) -> WebContext:
    """Resolve the request's session, locale and CSRF token (cached on the request)."""
    cached: WebContext | None = getattr(request.state, "web", None)
    if cached is not None:
        return cached
    runtime: Runtime = request.app.state.runtime
    now = runtime.clock.now()
    principal = None
    if token := request.cookies.get(SESSION_COOKIE):
        with unit_of_work(runtime.sessions) as session:
            principal = principal_for_session(session, token, now)
    locale = (
        normalize_locale(principal.locale if principal else None)
        or normalize_locale(request.cookies.get(LOCALE_COOKIE))
        or runtime.settings.default_locale
    )
    csrf, new = (principal.csrf_token, False) if principal else _anonymous_csrf(request)
    ctx = WebContext(request, runtime, principal, locale, csrf, now, new)
    request.state.web = ctx
    return ctx


def _anonymous_csrf(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def web_context(request: Request) -> WebContext:
    return load_context(request)


def logged_in(ctx: Annotated[WebContext, Depends(web_context)]) -> WebContext:
    ctx.user  # noqa: B018 - raises AuthenticationFailed, which sends browsers to /login
    return ctx


async def csrf_guard(request: Request) -> None:
    """Router-wide: refuse any state-changing request whose form lacks the right token."""
    if request.method in SAFE_METHODS:
        return
    ctx = await run_in_threadpool(load_context, request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if ctx.new_anonymous_csrf or not sent or not secrets.compare_digest(sent, ctx.csrf_token):
        raise PermissionDenied("CSRF token missing or invalid", reason="csrf")


Ctx = Annotated[WebContext, Depends(web_context)]
UserCtx = Annotated[WebContext, Depends(logged_in)]


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no '//host' or 'https://…')."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value
