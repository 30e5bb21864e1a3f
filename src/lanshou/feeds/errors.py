"""What a feed can refuse; all are lanshou errors, so the API maps them in its one place.

LanshouError
├── AuthenticationFailed
│   └── SignatureInvalid     the push's sign / DataSign does not match      HTTP 401
├── InvalidInput
│   └── MalformedFeed        unparsable body; ``path`` names the problem    HTTP 422
└── PayloadTooLarge          body over the endpoint's limit                 HTTP 413
"""

from __future__ import annotations

from lanshou.errors import AuthenticationFailed, ErrorCode, InvalidInput, LanshouError


class SignatureInvalid(AuthenticationFailed):
    """The push was not signed with the secret of any active integration of its kind."""


class MalformedFeed(InvalidInput):
    """The body cannot be read; ``path`` says where (``lastResult.data[2].time``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem, path=path)
        self.path = path


class PayloadTooLarge(LanshouError):
    code = ErrorCode.INVALID
    http_status = 413
