"""What the OpenAPI document says beyond each route's own declarations.

Every refusal an operation can give is documented where it can happen, from what the operation
takes rather than by hand per route: 401 when it needs a bearer token, 422 when it reads a path,
query or body (a value out of range, a body that is not UTF-8 or not the declared format).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from lanshou.entrypoints.api.deps import get_principal
from lanshou.entrypoints.api.schemas import ErrorPublic

_ERROR: dict[str, Any] = {"model": ErrorPublic}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _takes_input(route: APIRoute) -> bool:
    if route.body_field is not None or "requestBody" in (route.openapi_extra or {}):
        return True
    return any(
        d.path_params or d.query_params or d.header_params or d.cookie_params
        for d in _dependants(route.dependant)
    )


def document_refusals(router: APIRouter) -> None:
    """Add 401 and 422 (the API's error shape) where a route has not declared its own."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        if _takes_input(route):
            route.responses.setdefault(422, _ERROR)
        if any(d.call is get_principal for d in _dependants(route.dependant)):
            route.responses.setdefault(401, _ERROR)


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its nested models written out in place.

    For bodies a route reads itself (``openapi_extra``): FastAPI only registers the models of
    declared parameters under ``components``, so a ``$ref`` would point at nothing.
    """
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
