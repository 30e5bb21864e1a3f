"""Integration tokens: long-lived bearer tokens that administrators create and revoke."""

from __future__ import annotations

from fastapi import APIRouter, status

from lanshou.adapters.db.models import ApiToken, User
from lanshou.domain.roles import Role
from lanshou.entrypoints.api.deps import CallerDep, DbDep, RuntimeDep
from lanshou.entrypoints.api.schemas import (
    ErrorPublic,
    IntegrationTokenCreate,
    IntegrationTokenCreated,
    IntegrationTokenPublic,
)
from lanshou.entrypoints.params import DbId
from lanshou.errors import PermissionDenied
from lanshou.identity import create_integration_token, list_tokens, revoke_token

router = APIRouter(
    tags=["tokens"], responses={401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}}
)


def _public(token: ApiToken, username: str) -> IntegrationTokenPublic:
    return IntegrationTokenPublic(
        id=token.id,
        name=token.name,
        username=username,
        scopes=token.scopes.split() if token.scopes is not None else None,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get("/tokens", response_model=list[IntegrationTokenPublic])
def tokens(caller: CallerDep, db: DbDep) -> list[IntegrationTokenPublic]:
    """Integration tokens, newest first (administrators only); never the secret itself."""
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("only administrators may list integration tokens")
    return [_public(t, u) for t, u in list_tokens(db)]


@router.post("/tokens", response_model=IntegrationTokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    body: IntegrationTokenCreate, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> IntegrationTokenCreated:
    """Create a long-lived token; the response is the only time the token is shown. With
    ``scopes`` it may call only those scopes' routes (a 403 names them elsewhere)."""
    plain, row = create_integration_token(
        db, caller, body.name, runtime.clock.now(), body.user_id, body.scopes
    )
    owner = db.get_one(User, row.user_id).username
    return IntegrationTokenCreated(
        token=plain,
        id=row.id,
        name=row.name,
        username=owner,
        scopes=row.scopes.split() if row.scopes is not None else None,
        created_at=row.created_at,
        last_used_at=None,
        revoked_at=None,
    )


@router.delete(
    "/tokens/{token_id}",
    response_model=IntegrationTokenPublic,
    responses={404: {"model": ErrorPublic}},
)
def delete_token(
    token_id: DbId, caller: CallerDep, db: DbDep, runtime: RuntimeDep
) -> IntegrationTokenPublic:
    """Revoke a token; it stops working at once and stays listed as revoked."""
    row = revoke_token(db, caller, token_id, runtime.clock.now())
    return _public(row, db.get_one(User, row.user_id).username)
