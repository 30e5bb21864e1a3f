"""``POST /auth/token``: exchange a username and password for a short-lived bearer token."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from lanshou.adapters.db.engine import unit_of_work
from lanshou.bootstrap import Runtime
from lanshou.entrypoints.api.deps import RuntimeDep
from lanshou.entrypoints.api.schemas import ErrorPublic, TokenPublic, TokenRequest
from lanshou.errors import InvalidInput
from lanshou.identity import ThrottlePolicy, authenticate, issue_session_token

router = APIRouter(tags=["auth"])

_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": TokenRequest.model_json_schema()},
        "application/json": {"schema": TokenRequest.model_json_schema()},
    },
}


async def _credentials(request: Request) -> TokenRequest:
    """Read username and password from a form (OAuth2 password flow) or a JSON body."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            data = json.loads(await request.body() or b"{}")
        else:
            data = dict(await request.form())
        return TokenRequest.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise InvalidInput("username and password are required") from exc


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    openapi_extra={"requestBody": _BODY},
    responses={401: {"model": ErrorPublic}, 429: {"model": ErrorPublic}},
)
async def token(request: Request, runtime: RuntimeDep) -> TokenPublic:
    """Log in with a password; returns a bearer token valid for ``session_hours``.

    After failed attempts the next one must wait (per account and per client address);
    too early is answered with ``login_throttled`` and a ``Retry-After`` in seconds.
    """
    creds = await _credentials(request)
    remote = request.client.host if request.client else None
    # argon2 and the database are blocking work: keep them off the event loop.
    return await run_in_threadpool(_issue, runtime, creds, remote)


def _issue(runtime: Runtime, creds: TokenRequest, remote: str | None) -> TokenPublic:
    settings = runtime.settings
    now = runtime.clock.now()
    with unit_of_work(runtime.sessions) as session:
        principal = authenticate(
            session,
            creds.username,
            creds.password,
            now,
            remote,
            ThrottlePolicy.from_settings(settings),
        )
        access = issue_session_token(session, principal, now, settings.session_hours)
    return TokenPublic(access_token=access, expires_in=settings.session_hours * 3600)
