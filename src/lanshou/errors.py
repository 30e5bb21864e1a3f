"""lanshou's exception hierarchy and stable error codes.

    LanshouError
    ├── SettingsError          bad configuration            CLI exit 2
    ├── DatabaseUnavailable    cannot reach the database    CLI exit 2
    ├── NotFound               missing or another tenant's  HTTP 404
    ├── PermissionDenied       role may not do this         HTTP 403
    ├── Conflict               illegal state change         HTTP 409
    ├── InvalidInput           bad input, says where        HTTP 422
    ├── PayloadTooLarge        upload over a size limit     HTTP 413
    ├── UnsupportedMediaType   upload of a refused type     HTTP 415
    └── AuthenticationFailed   wrong credentials / token    HTTP 401
        └── LoginThrottled     too many failures            HTTP 429

One place (``entrypoints/api/errors.py``) maps them to HTTP responses; the CLI maps them to exit
codes.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    SETTINGS = "settings_invalid"
    DATABASE = "database_unavailable"
    NOT_FOUND = "not_found"
    PERMISSION = "permission_denied"
    CONFLICT = "conflict"
    INVALID = "invalid_input"
    AUTH = "authentication_failed"
    THROTTLED = "login_throttled"
    TOO_LARGE = "payload_too_large"
    MEDIA_TYPE = "unsupported_media_type"


class LanshouError(Exception):
    code: ErrorCode = ErrorCode.INVALID
    http_status: int = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class SettingsError(LanshouError):
    code = ErrorCode.SETTINGS
    http_status = 500


class DatabaseUnavailable(LanshouError):
    code = ErrorCode.DATABASE
    http_status = 503


class NotFound(LanshouError):
    code = ErrorCode.NOT_FOUND
    http_status = 404


class PermissionDenied(LanshouError):
    code = ErrorCode.PERMISSION
    http_status = 403


class Conflict(LanshouError):
    code = ErrorCode.CONFLICT
    http_status = 409


class InvalidInput(LanshouError):
    code = ErrorCode.INVALID
    http_status = 422


class PayloadTooLarge(LanshouError):
    code = ErrorCode.TOO_LARGE
    http_status = 413


class UnsupportedMediaType(LanshouError):
    code = ErrorCode.MEDIA_TYPE
    http_status = 415


class AuthenticationFailed(LanshouError):
    code = ErrorCode.AUTH
    http_status = 401


class LoginThrottled(AuthenticationFailed):
    code = ErrorCode.THROTTLED
    http_status = 429
