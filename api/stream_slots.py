"""How many progress streams each user has open, capped per user, and counted in a gauge;
and the event-stream response that gives its slot back however it ends."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import HTTPException, status
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from api.metrics import API_SSE_STREAMS


class TooManyStreams(Exception):
    """The user already has as many progress streams open as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You already follow {limit} progress streams at once, the most allowed "
            "(BEATSTITCH_SSE_STREAMS_PER_USER); close one of those streams, or poll "
            "GET .../render/jobs/{job_id} (or the generation) instead."
        )


class StreamSlots:
    """Open streams per user: take a slot before streaming, give it back when it ends."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._open: Counter[str] = Counter()

    def take(self, user_id: str) -> None:
        """Count one more open stream of the user, or raise TooManyStreams."""
        if self._open[user_id] >= self.per_user:
            raise TooManyStreams(self.per_user)
        self._open[user_id] += 1
        API_SSE_STREAMS.inc()

    def take_or_refuse(self, user_id: str) -> None:
        """take(), answering 429 with Retry-After when the user has no slot left."""
        try:
            self.take(user_id)
        except TooManyStreams as exc:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS, detail=str(exc), headers={"Retry-After": "5"}
            ) from None

    def give_back(self, user_id: str) -> None:
        """The user's stream ended."""
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]
        API_SSE_STREAMS.dec()

    def open_of(self, user_id: str) -> int:
        """How many streams the user has open."""
        return self._open[user_id]


class ClosingEventSource(EventSourceResponse):
    """An event stream that calls `ended` once the response is over, however it ended."""

    def __init__(
        self, content: AsyncIterator[ServerSentEvent], ended: Callable[[], None], **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self._ended = ended

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._ended()
