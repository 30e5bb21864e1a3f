"""Jinja2 environments (one per locale, each with its catalogue installed) and page rendering."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from lanshou import __version__
from lanshou.domain.roles import Role
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import CSRF_COOKIE, CSRF_FIELD, WebContext, load_context
from lanshou.i18n import N_, translate, translations
from lanshou.i18n.format import (
    capture_time,
    local_time,
    money,
    signed_count,
    signed_money,
    time_left,
    yuan,
)
from lanshou.i18n.labels import label
from lanshou.identity import Principal

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class NavItem:
    href: str
    title: str  # an English msgid, translated in the template
    section: str


def navigation(principal: Principal | None) -> list[NavItem]:
    """Menu entries for a role, in the order of the day's work: chase, recover, analyse, set up.

    Only pages that exist and the role may open are listed.
    """
    if principal is None:
        return []
    role = principal.role
    items = [NavItem("/", N_("To do"), "home")]  # every role lands on its to-do
    if may_see_at_risk(principal):
        items.append(NavItem("/at-risk", N_("At risk"), "at_risk"))
    items.append(NavItem("/orders", N_("Orders"), "orders"))
    items.extend(appeal_navigation(principal))
    items.append(NavItem("/tasks", N_("My tasks"), "tasks"))
    if role is not Role.REVIEWER:
        items.append(NavItem("/analytics/losses", N_("Losses & risk"), "analytics_losses"))
        items.append(NavItem("/analytics/carriers", N_("Carriers"), "analytics_carriers"))
    if may_run_whatif(principal):
        items.append(NavItem("/analytics/whatif", N_("What-if"), "analytics_whatif"))
    if role in (Role.ADMIN, Role.MERCHANT_OWNER):
        items.append(NavItem("/alerts/settings", N_("Alert settings"), "alerts"))
    if may_see_at_risk(principal):
        items.append(NavItem("/alerts/deliveries", N_("Delivery log"), "deliveries"))
    if role is Role.ADMIN:
        items.append(NavItem("/admin/users", N_("Users & tokens"), "admin"))
        items.append(NavItem("/admin/platforms", N_("Platform connections"), "platforms"))
    return items


def appeal_navigation(principal: Principal) -> list[NavItem]:
    """违规与申诉 (filers), 申诉审核 (reviewers), 投诉 (all; merchants see their tasks)."""
    items = []
    if principal.role is not Role.REVIEWER:
        items.append(NavItem("/violations", N_("Violations & appeals"), "violations"))
    if principal.role in (Role.REVIEWER, Role.ADMIN):
        items.append(NavItem("/review", N_("Appeal review"), "review"))
    items.append(
        NavItem(
            "/complaints",
            N_("Complaint tasks") if principal.role.is_merchant else N_("Complaints"),
            "complaints",
        )
    )
    return items


def may_run_whatif(principal: Principal) -> bool:
    """What-if is the shop owner's question (and an admin's); over the caller's own shops."""
    return principal.role in (Role.ADMIN, Role.MERCHANT_OWNER)


def may_see_at_risk(principal: Principal) -> bool:
    """The board is for people who chase couriers: merchants, customer service and admins."""
    return principal.role is not Role.REVIEWER


def countdown(seconds: int, locale: str) -> str:
    """What the board's ticking clock shows before its script runs: '03:20:05', '1天 03:20:05'."""
    if seconds <= 0:
        return translate(locale, "Overdue")
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return translate(locale, "%(d)dd", d=days) + " " + clock if days else clock


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = money
    env.filters["yuan"] = yuan
    env.filters["signed_money"] = signed_money
    env.filters["signed_count"] = signed_count
    env.filters["local_time"] = local_time
    env.filters["capture_time"] = capture_time
    env.filters["label"] = lambda code, kind: label(locale, kind, code)
    env.globals["locale"] = locale
    env.globals["html_lang"] = "zh-CN" if locale == "zh_CN" else "en"
    env.globals["static"] = lambda path: f"/static/{path}?v={__version__}"
    env.globals["csrf_field_name"] = CSRF_FIELD
    return env


def render(ctx: WebContext, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """Render a page for the request's user and language."""
    page = environment(ctx.locale).get_template(template)
    section = values.pop("section", "")
    notice = flash.take(ctx)  # the success message of the action that led here, if any
    html = page.render(
        user=ctx.principal,
        csrf_token=ctx.csrf_token,
        now=ctx.now,
        section=section,
        nav=navigation(ctx.principal),
        path=ctx.request.url.path,
        current_url=str(ctx.request.url.path)
        + (f"?{ctx.request.url.query}" if ctx.request.url.query else ""),
        time_left=lambda due: time_left(due, ctx.now, ctx.locale),
        countdown=lambda seconds: countdown(seconds, ctx.locale),
        flash=notice,
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    flash.clear(ctx, response)
    if ctx.new_anonymous_csrf:
        ctx.set_cookie(response, CSRF_COOKIE, ctx.csrf_token, ONE_YEAR)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


_ERROR_TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid input"),
    429: N_("Too many attempts"),
}
_ERROR_TEXTS = {
    403: N_("You do not have permission to do this."),
    404: N_("The page or record does not exist, or it is not visible to you."),
    422: N_("Some of the input was not valid. Please check it and try again."),
    429: N_("Too many attempts. Please wait and try again."),
}
_CSRF_TEXT = N_(
    "The form has expired or did not come from this site. Reload the page and try again."
)


def render_error(request: Request, status: int, code: str, message: str) -> Response:
    """Browsers: 401 means 'log in first'; other errors get a page in the user's language."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            return redirect("/login")
        return redirect(f"/login?next={quote(target, safe='/')}")
    try:
        ctx = load_context(request)
    except Exception:  # the database may be the problem; render without a user
        return HTMLResponse("<h1>Service unavailable</h1>", status_code=status)
    title = _ERROR_TITLES.get(status, N_("Something went wrong"))
    text = _CSRF_TEXT if message.startswith("CSRF") else _ERROR_TEXTS.get(status, "")
    return render(
        ctx,
        "error.html",
        status,
        title=translate(ctx.locale, title),
        text=translate(ctx.locale, text) if text else "",
        code=code,
    )
