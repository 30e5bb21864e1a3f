"""Dependencies shared by the API routes: the runtime, a database session, the bearer caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from lanshou.adapters.db.engine import unit_of_work
from lanshou.appeals import AppealsContext
from lanshou.bootstrap import Runtime
from lanshou.enforcement import RulesContext
from lanshou.entrypoints.api.scopes import check_scope
from lanshou.errors import AuthenticationFailed
from lanshou.identity import Principal, principal_for_api_token

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a URL, not a secret
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_rules(runtime: RuntimeDep) -> RulesContext:
    return runtime.rules


def get_appeals(runtime: RuntimeDep) -> AppealsContext:
    return runtime.appeals


# The runtime's contexts, built once per process (see :class:`lanshou.bootstrap.Runtime`).
RulesDep = Annotated[RulesContext, Depends(get_rules)]
AppealsDep = Annotated[AppealsContext, Depends(get_appeals)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed if the handler returns, rolled back if it raises."""
    with unit_of_work(runtime.sessions) as session:
        yield session


# "function" scope: commit before the response goes out, so a failed commit is never a 200.
DbDep = Annotated[Session, Depends(get_db, scope="function")]


def get_principal(
    request: Request, runtime: RuntimeDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """The bearer token's caller; a token limited to scopes is refused (403) on any route
    outside them (:mod:`lanshou.entrypoints.api.scopes`)."""
    if not token:
        raise AuthenticationFailed("missing bearer token")
    with unit_of_work(runtime.sessions) as session:
        caller = principal_for_api_token(session, token, runtime.clock.now())
    if caller.scopes is not None:
        route = request.scope.get("route")
        check_scope(caller, request.method, getattr(route, "path", request.url.path))
    return caller


CallerDep = Annotated[Principal, Depends(get_principal)]
