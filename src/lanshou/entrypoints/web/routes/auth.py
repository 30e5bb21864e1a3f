"""Log in, log out and switch language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lanshou.adapters.db.engine import unit_of_work
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import LOCALE_COOKIE, SESSION_COOKIE, Ctx, safe_next
from lanshou.entrypoints.web.rendering import ONE_YEAR, redirect, render
from lanshou.errors import AuthenticationFailed, InvalidInput, LoginThrottled
from lanshou.i18n import N_, normalize_locale, translate
from lanshou.identity import (
    ThrottlePolicy,
    authenticate,
    end_session,
    set_locale,
    start_session,
)

router = APIRouter(include_in_schema=False)

WRONG_LOGIN = N_("Wrong username or password.")
THROTTLED_SECONDS = N_("Too many failed attempts. Try again in %(seconds)d seconds.")
THROTTLED_MOMENT = N_("Too many failed attempts. Try again in a second.")
THROTTLED_MINUTES = N_("Too many failed attempts. Try again in %(minutes)d minutes.")


def throttled_message(locale: str, seconds: int) -> str:
    """How long to wait, in seconds up to two minutes, then in whole minutes (rounded up)."""
    if seconds <= 1:
        return translate(locale, THROTTLED_MOMENT)
    if seconds <= 120:
        return translate(locale, THROTTLED_SECONDS, seconds=seconds)
    return translate(locale, THROTTLED_MINUTES, minutes=-(-seconds // 60))


@router.get("/login")
def login_form(ctx: Ctx, next: str = "/") -> Response:
    if ctx.principal is not None:
        return redirect(safe_next(next))
    return render(ctx, "login.html", next=safe_next(next), username="", error="")


@router.post("/login")
def login(
    ctx: Ctx,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = ctx.runtime.settings
    remote = ctx.request.client.host if ctx.request.client else None
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            principal = authenticate(
                session, username, password, ctx.now, remote, ThrottlePolicy.from_settings(settings)
            )
            token, principal = start_session(session, principal, ctx.now, settings.session_hours)
            if principal.locale is None and ctx.request.cookies.get(LOCALE_COOKIE):
                set_locale(session, principal.user_id, ctx.locale)  # keep the language chosen
    except LoginThrottled as exc:
        wait = int(exc.details["retry_after_seconds"])  # type: ignore[call-overload]
        page = render(
            ctx,
            "login.html",
            429,
            next=safe_next(next),
            username=username,
            error=throttled_message(ctx.locale, wait),
        )
        page.headers["Retry-After"] = str(wait)
        return page
    except AuthenticationFailed:
        return render(
            ctx,
            "login.html",
            401,
            next=safe_next(next),
            username=username,
            error=translate(ctx.locale, WRONG_LOGIN),
        )
    response = redirect(safe_next(next))
    ctx.set_cookie(response, SESSION_COOKIE, token, settings.session_hours * 3600)
    flash.attach(ctx, response, N_("Welcome, %(name)s."), name=principal.display_name)
    return response


@router.post("/logout")
def logout(ctx: Ctx) -> Response:
    if token := ctx.request.cookies.get(SESSION_COOKIE):
        with unit_of_work(ctx.runtime.sessions) as session:
            end_session(session, token)
    response = flash.success(ctx, "/login", N_("You have logged out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    # Pages are no-store already; this also drops what the back/forward cache holds in memory,
    # so Back after logging out cannot show the case that was open.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@router.post("/language")
def switch_language(
    ctx: Ctx, locale: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    """Remember the language in a cookie, and on the user when logged in."""
    chosen = normalize_locale(locale)
    if chosen is None:
        raise InvalidInput(f"unsupported locale {locale!r}", field="locale")
    if ctx.principal is not None:
        with unit_of_work(ctx.runtime.sessions) as session:
            set_locale(session, ctx.principal.user_id, chosen)
    # Said in the language just chosen: the next page translates it.
    response = flash.success(ctx, safe_next(next), N_("The interface is now in English."))
    ctx.set_cookie(response, LOCALE_COOKIE, chosen, ONE_YEAR)
    return response
