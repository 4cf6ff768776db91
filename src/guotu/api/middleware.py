"""A pure ASGI middleware that refuses request bodies beyond GUOTU_MAX_UPLOAD_MB.

A declared ``Content-Length`` over the limit is answered 413 at once, before the body is read; a body
sent without one (chunked) is counted as it streams and stopped with TooLargeError at the limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guotu.api.errors import from_key
from guotu.core.errors import TooLargeError


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        limit_mb = f"{limit / 2**20:g}"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    response = from_key(413, "upload.too_large", limit_mb=limit_mb)
                    await response(scope, receive, send)
                    return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLargeError("upload.too_large", limit_mb=limit_mb)
            return message

        await self.app(scope, limited, send)
