"""The one place where lanshou errors become HTTP responses.

Each :class:`~lanshou.errors.LanshouError` carries its status and stable code. API callers get
``{"error": {"code": …, "message": …}}``; browsers get a page drawn by the web layer's renderer.
Anything unexpected is a 500 in the same shape: no traceback in the answer, while Starlette
re-raises after answering, so the server still logs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lanshou.errors import AuthenticationFailed, ErrorCode, LanshouError, LoginThrottled

HtmlRenderer = Callable[[Request, int, str, str], Awaitable[Response] | Response]

API_PREFIX = "/api/"
INTERNAL = "internal_error"
# FastAPI answers 400 when a body cannot be decoded at all (not UTF-8, a broken multipart); that is
# bad input like any other, so it is a 422 with the same code as a body that fails validation.
_UNPARSEABLE = 400
_HTTP_CODES = {
    404: ErrorCode.NOT_FOUND.value,
    403: ErrorCode.PERMISSION.value,
    401: ErrorCode.AUTH.value,
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_json(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _headers(exc: LanshouError) -> dict[str, str]:
    if isinstance(exc, LoginThrottled):
        return {"Retry-After": str(exc.details["retry_after_seconds"])}
    if isinstance(exc, AuthenticationFailed):
        return {"WWW-Authenticate": "Bearer"}
    return {}


def install_error_handlers(app: FastAPI, render_html: HtmlRenderer) -> None:
    """Map lanshou errors, HTTP errors and validation errors, as JSON or as a page."""

    async def _respond(
        request: Request,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Response:
        if is_api(request):
            return error_json(status, code, message, headers, **extra)
        response = render_html(request, status, code, message)
        if not isinstance(response, Response):
            response = await response
        return response

    async def on_lanshou_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LanshouError)
        extra: dict[str, Any] = {}
        if exc.details and not isinstance(exc, AuthenticationFailed):
            # Machine-readable context (the field, the limit, the current state and the allowed
            # actions); only plain JSON values are put here by the services.
            extra["details"] = exc.details
        return await _respond(
            request, exc.http_status, exc.code.value, exc.message, _headers(exc), **extra
        )

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == _UNPARSEABLE:
            return await _respond(
                request,
                422,
                ErrorCode.INVALID.value,
                "invalid request",
                details=[{"loc": ["body"], "msg": str(exc.detail)}],
            )
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return await _respond(
            request, exc.status_code, code, str(exc.detail), dict(exc.headers or {})
        )

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return await _respond(
            request, 422, ErrorCode.INVALID.value, "invalid request", details=problems
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return await _respond(request, 500, INTERNAL, "internal server error")

    app.add_exception_handler(LanshouError, on_lanshou_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
