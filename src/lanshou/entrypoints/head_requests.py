"""``HEAD`` answered as ``GET`` without the body, as HTTP says (RFC 9110, 9.3.2).

FastAPI registers a ``GET`` route for ``GET`` only, so ``HEAD /`` — what uptime monitors and
intranet link checkers send — got 405. This middleware runs such a request as ``GET`` and drops
the body, keeping every header (``Content-Length`` included): the answer is the one ``GET``
would give, with no second route table to keep in step.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


__all__ = ["HeadAsGet"]
