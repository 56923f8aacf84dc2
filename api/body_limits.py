"""Request bodies are judged before they are read.

FastAPI parses a request's body (a multipart upload is spooled to disk) before it resolves
the route's dependencies, authentication included, and the only size check was on a
Content-Length a chunked request does not send. This ASGI layer sits in front of the app:
a body larger than its route allows is answered 413 from its Content-Length or, without
one, as soon as the bytes read pass the cap; an upload without a valid token is answered 401
before a byte of it is read, so nobody unauthenticated makes the server write to disk.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from api.accounts import TOKEN_REQUIRED
from api.storage import size_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# Whether a bearer token (the Authorization header's value, or None) names a live session.
TokenCheck = Callable[[str | None], Awaitable[bool]]

# Routes that take a file; every other body is JSON and gets the small cap.
UPLOAD_PATHS = re.compile(r"^/api/v1/projects/[^/]+/(?:media|audio)/?$")
# Multipart framing on top of the file itself.
MULTIPART_SLACK = 64 * 1024
BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyTooLarge(Exception):
    """The body read so far is over its route's cap."""


@dataclass(frozen=True)
class Caps:
    """The largest body a route may send, by kind."""

    upload_bytes: int
    json_bytes: int

    def of(self, path: str) -> tuple[int, bool]:
        """The cap of a path, and whether it is an upload route."""
        if UPLOAD_PATHS.match(path):
            return self.upload_bytes + MULTIPART_SLACK, True
        return self.json_bytes, False


def too_large(cap: int, upload: bool) -> tuple[int, bytes]:
    """413 naming the cap that applies."""
    what = "The upload" if upload else "The request body"
    limit = cap - MULTIPART_SLACK if upload else cap
    message = f"{what} is over the {size_text(limit)} limit."
    return 413, json.dumps({"detail": {"reason": "too_large", "message": message}}).encode()


# The same answer as every route's own token check gives (api/deps.py).
UNAUTHORIZED = (401, json.dumps({"detail": TOKEN_REQUIRED}).encode())


class BodyLimits:
    """ASGI middleware: caps request bodies per route and refuses anonymous uploads unread."""

    def __init__(self, app: ASGIApp, caps: Caps, token_check: TokenCheck) -> None:
        self.app = app
        self.caps = caps
        self.token_check = token_check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        cap, upload = self.caps.of(scope["path"])
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            await _answer(send, *too_large(cap, upload))
            return
        if upload:
            token = headers.get(b"authorization", b"").decode("latin-1")
            if not await self.token_check(token or None):
                await _answer(send, *UNAUTHORIZED)
                return
        await self._counted(scope, receive, send, cap, upload)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, cap: int, upload: bool
    ) -> None:
        # FastAPI turns an error while reading a body into its own 400, so the refusal is
        # made here: once the cap is passed, whatever the app answers becomes the 413.
        seen, over, started, answered = 0, False, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    over = True
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started, answered
            if over and not started:
                if message["type"] == "http.response.start" and not answered:
                    answered = True
                    await _answer(send, *too_large(cap, upload))
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted, watched)
        if over and not answered and not started:
            await _answer(send, *too_large(cap, upload))


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    # The client may still be sending its body; closing tells it to stop.
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
