"""Alert settings (channels, subscriptions, test send), the delivery log, and the courier
reminder page reached from the at-risk board."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lanshou.adapters.db.engine import unit_of_work
from lanshou.adapters.db.models.alerts import AlertDelivery
from lanshou.adapters.notify import DeliveryResult, LoggingSmsSender, Message, SmsSender
from lanshou.alerts import (
    CHANNEL_LABELS,
    EVENT_KINDS,
    EVENT_LABELS,
    OUTBOX_STATES,
    SenderFactory,
    reminders,
    safe_send,
)
from lanshou.alerts import channels as svc
from lanshou.entrypoints.params import MAX_LEAD_MINUTES, DbId, whole_number
from lanshou.entrypoints.web import flash
from lanshou.entrypoints.web.context import UserCtx, WebContext
from lanshou.entrypoints.web.rendering import may_see_at_risk, render
from lanshou.errors import InvalidInput, PermissionDenied
from lanshou.i18n import N_, translate
from lanshou.identity import scope_for

router = APIRouter(include_in_schema=False)

EGRESS_REFUSED = N_(
    "%(host)s leads to %(address)s, %(kind)s. Alerts may only go to addresses on "
    "the public Internet; ask the operator to allow an internal server."
)
EGRESS_KINDS = {
    "metadata": N_("the cloud metadata service"),
    "unspecified": N_("an unspecified address"),
    "loopback": N_("this server itself (loopback)"),
    "link_local": N_("a link-local address"),
    "multicast": N_("a multicast address"),
    "shared": N_("a carrier-grade NAT address"),
    "private": N_("a private network address"),
    "reserved": N_("a reserved address"),
}


def senders_of(ctx: WebContext) -> SenderFactory:
    return ctx.runtime.alert_senders


# Why a channel was not saved, by the refusal's reason (the service's words are for logs).
CHANNEL_REFUSALS = {
    "url_invalid": N_("The address is not a valid web address."),
    "url_https": N_("The address must start with https://."),
    "email_fields": N_("E-mail needs a server, a sender address and at least one recipient."),
    "port": N_("The port must be a number."),
    "msgtype": N_("The WeCom message type must be Markdown or text."),
    "kind": N_("Choose the kind of channel."),
    "name": N_("The name must be 1 to 128 characters."),
    "secret": N_("A signed webhook needs a secret: enter the secret the receiver checks."),
}


def _refusal(ctx: WebContext, exc: InvalidInput) -> str:
    """The reason a channel was not saved, in the user's language."""
    details = exc.details
    if details.get("reason") != "egress_refused":
        known = CHANNEL_REFUSALS.get(str(details.get("reason", "")))
        return translate(
            ctx.locale,
            known or N_("Some of the input was not valid. Please check it and try again."),
        )
    kind = translate(ctx.locale, EGRESS_KINDS.get(str(details["kind"]), EGRESS_KINDS["reserved"]))
    return translate(
        ctx.locale, EGRESS_REFUSED, host=details["host"], address=details["address"], kind=kind
    )


def sms_of(request: Request) -> SmsSender:
    sender: SmsSender | None = getattr(request.app.state, "sms_sender", None)
    return sender or LoggingSmsSender()


def _lead_choices(ctx: WebContext) -> list[int]:
    """The default profile's warning lead times in minutes, e.g. [360, 120]."""
    try:
        hours = ctx.rules.profile("douyin").warning_lead_hours
    except Exception:
        return []
    return sorted((int(h * 60) for h in hours), reverse=True)


def _settings_page(ctx: WebContext, status: int = 200, **extra: object) -> Response:
    if not svc.may_manage(ctx.user):
        raise PermissionDenied("only admins and shop owners manage alert channels")
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        channels = svc.list_channels(session, scope)
        shops = svc.manageable_shops(session, scope)
    values: dict[str, Any] = {"error": "", "notice": "", **extra}
    return render(
        ctx,
        "alerts/settings.html",
        status,
        section="alerts",
        channels=channels,
        shops=shops,
        kinds=list(CHANNEL_LABELS),
        kind_labels=CHANNEL_LABELS,
        event_kinds=EVENT_KINDS,
        event_labels=EVENT_LABELS,
        leads=_lead_choices(ctx),
        **values,
    )


@router.get("/alerts/settings")
def settings_page(ctx: UserCtx) -> Response:
    return _settings_page(ctx)


@router.post("/alerts/channels")
def create_channel(
    ctx: UserCtx,
    shop_id: Annotated[DbId, Form()],
    kind: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    secret: Annotated[str, Form()] = "",
    host: Annotated[str, Form()] = "",
    port: Annotated[str, Form()] = "",
    sender: Annotated[str, Form()] = "",
    recipients: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    starttls: Annotated[str, Form()] = "",
) -> Response:
    config = {
        "url": url.strip(),
        "host": host.strip(),
        "port": port.strip() or None,
        "sender": sender.strip(),
        "recipients": recipients,
        "username": username.strip(),
        "starttls": starttls,
    }
    try:
        with unit_of_work(ctx.runtime.sessions) as session:
            row = svc.create_channel(
                session,
                ctx.user,
                scope_for(session, ctx.user),
                shop_id=shop_id,
                kind=kind,
                name=name,
                config=config,
                secret=secret.strip() or None,
                now=ctx.now,
                egress=ctx.runtime.egress,
            )
            svc.set_subscriptions(
                session,
                ctx.user,
                scope_for(session, ctx.user),
                row.id,
                [(k, 0) for k in EVENT_KINDS],
                ctx.now,
            )
            saved_name = row.name
    except InvalidInput as exc:
        return _settings_page(
            ctx,
            422,
            error=translate(ctx.locale, "Could not save: %(reason)s", reason=_refusal(ctx, exc)),
        )
    return flash.success(ctx, "/alerts/settings", N_("Channel “%(name)s” added."), name=saved_name)


@router.post("/alerts/channels/{channel_id}/subscriptions")
async def subscriptions(ctx: UserCtx, request: Request, channel_id: DbId) -> Response:
    form = await request.form()
    wanted: list[tuple[str, int]] = []
    for value in form.getlist("sub"):
        kind, _, lead = str(value).partition(":")
        minutes = whole_number(lead, MAX_LEAD_MINUTES) if lead not in ("", "0") else 0
        if minutes is None:
            raise InvalidInput(
                f"lead must be 0 to {MAX_LEAD_MINUTES} minutes", field="subscriptions"
            )
        wanted.append((kind, minutes))

    def save() -> None:
        with unit_of_work(ctx.runtime.sessions) as session:
            svc.set_subscriptions(
                session, ctx.user, scope_for(session, ctx.user), channel_id, wanted, ctx.now
            )

    await run_in_threadpool(save)
    return flash.success(ctx, "/alerts/settings", N_("Alert subscriptions saved."))


@router.post("/alerts/channels/{channel_id}/active")
def toggle(ctx: UserCtx, channel_id: DbId, active: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(ctx.runtime.sessions) as session:
        svc.set_active(
            session, ctx.user, scope_for(session, ctx.user), channel_id, active == "1", ctx.now
        )
    done = N_("Channel switched on.") if active == "1" else N_("Channel switched off.")
    return flash.success(ctx, "/alerts/settings", done)


@router.post("/alerts/channels/{channel_id}/test")
def test_send(ctx: UserCtx, channel_id: DbId) -> Response:
    """Send a test message now (outside any transaction) and log the attempt."""
    with unit_of_work(ctx.runtime.sessions) as session:
        row = svc.channel_for_send(session, ctx.user, scope_for(session, ctx.user), channel_id)
        kind, config, secret = row.kind, dict(row.config), row.secret
        shop_id, name = row.shop_id, row.name
    message = Message(
        translate(ctx.locale, "lanshou test message"),
        translate(ctx.locale, "If you can read this, alerts reach this channel."),
    )
    result = safe_send(senders_of(ctx), kind, config, secret, message)
    with unit_of_work(ctx.runtime.sessions) as session:
        session.add(
            AlertDelivery(
                shop_id=shop_id,
                outbox_id=None,
                channel_kind=kind,
                target=name[:128],
                attempt=1,
                at=ctx.now,
                ok=result.ok,
                status_code=result.status_code,
                error=result.error,
            )
        )
    if result.ok:
        return _settings_page(ctx, notice=translate(ctx.locale, "Test message sent."))
    return _settings_page(
        ctx,
        502,
        error=translate(ctx.locale, "Test message failed: %(reason)s", reason=result.error or ""),
    )


@router.get("/alerts/deliveries")
def deliveries(ctx: UserCtx, state: str | None = None) -> Response:
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("the delivery log is for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        rows = svc.list_deliveries(session, scope, state=state or None)
        attempts = svc.list_attempts(session, scope)
    return render(
        ctx,
        "alerts/deliveries.html",
        section="deliveries",
        rows=rows,
        attempts=attempts,
        state=state or "",
        states=OUTBOX_STATES,
        event_labels=EVENT_LABELS,
        kind_labels=CHANNEL_LABELS,
    )


def _reminder_page(
    ctx: WebContext, shipment_id: int, status: int = 200, **extra: object
) -> Response:
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("reminders are for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        item = reminders.reminder_for(
            session, scope_for(session, ctx.user), shipment_id, ctx.locale
        )
    values: Mapping[str, object] = {"error": "", "notice": "", **extra}
    return render(ctx, "alerts/reminder.html", status, section="at_risk", r=item, **values)


@router.get("/reminders/{shipment_id}")
def reminder(ctx: UserCtx, shipment_id: DbId) -> Response:
    return _reminder_page(ctx, shipment_id)


def send_and_log_sms(
    ctx: WebContext, sms: SmsSender, item: reminders.Reminder, number: str
) -> DeliveryResult:
    """Send outside any transaction (a slow provider holds no lock), then log the attempt."""
    result = sms.send_sms(number, item.text)
    with unit_of_work(ctx.runtime.sessions) as session:
        reminders.record_sms_reminder(
            session,
            scope_for(session, ctx.user),
            item,
            phone=number,
            user_id=ctx.user.user_id,
            result=result,
            sender_name=sms.name,
            now=ctx.now,
        )
    return result


@router.post("/reminders/{shipment_id}/sms")
def send_sms(
    ctx: UserCtx, request: Request, shipment_id: DbId, phone: Annotated[str, Form()] = ""
) -> Response:
    """Send by the configured SMS sender (outside the transaction), then log it."""
    with unit_of_work(ctx.runtime.sessions) as session:
        item = reminders.reminder_for(
            session, scope_for(session, ctx.user), shipment_id, ctx.locale
        )
    try:
        number = reminders.check_phone(phone or item.courier_phone or "")
    except InvalidInput:
        return _reminder_page(
            ctx, shipment_id, 422, error=translate(ctx.locale, "Enter the courier's phone number.")
        )
    result = send_and_log_sms(ctx, sms_of(request), item, number)
    if not result.ok:
        return _reminder_page(
            ctx,
            shipment_id,
            502,
            error=translate(
                ctx.locale, "The SMS could not be sent: %(reason)s", reason=result.error or ""
            ),
        )
    return flash.success(ctx, f"/reminders/{shipment_id}", N_("SMS sent and logged."))


@router.post("/reminders/{shipment_id}/copied")
def copied(ctx: UserCtx, shipment_id: DbId) -> Response:
    """The user pasted the text into WeChat: put it in the contact log."""
    if not may_see_at_risk(ctx.user):
        raise PermissionDenied("reminders are for merchants, customer service and admins")
    with unit_of_work(ctx.runtime.sessions) as session:
        scope = scope_for(session, ctx.user)
        item = reminders.reminder_for(session, scope, shipment_id, ctx.locale)
        reminders.record_copied_reminder(
            session, scope, item, user_id=ctx.user.user_id, now=ctx.now
        )
    return flash.success(
        ctx, f"/reminders/{shipment_id}", N_("Reminder logged in the contact log.")
    )
