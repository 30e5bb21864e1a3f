"""Who is asking and what they may see: accounts and sessions, the tenant scope, tasks."""

from lanshou.identity import tasks  # modules used as namespaces
from lanshou.identity.auth import (
    Principal,
    ThrottlePolicy,
    authenticate,
    create_integration_token,
    end_session,
    hash_password,
    issue_session_token,
    list_tokens,
    list_users,
    principal_for_api_token,
    principal_for_session,
    revoke_token,
    set_locale,
    start_session,
)
from lanshou.identity.login_throttle import prune_login_failures
from lanshou.identity.scope import Scope, scope_for, scoped_orders
from lanshou.identity.token_scopes import TOKEN_SCOPES, scopes_of

__all__ = [
    "TOKEN_SCOPES",
    "Principal",
    "Scope",
    "ThrottlePolicy",
    "authenticate",
    "create_integration_token",
    "end_session",
    "hash_password",
    "issue_session_token",
    "list_tokens",
    "list_users",
    "principal_for_api_token",
    "principal_for_session",
    "prune_login_failures",
    "revoke_token",
    "scope_for",
    "scoped_orders",
    "scopes_of",
    "set_locale",
    "start_session",
    "tasks",
]
