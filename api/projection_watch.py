"""One watcher per API process of how far the projector has read, that requests await.

A write answers once the projector has folded its event. Waiting used to poll the offsets
table from the request's own worker thread, so every waiting request held a thread (and
forty of them stalled every other request). Here waiting costs a future: one task polls the
offsets of all partitions in one short query (in a thread) while anyone waits, at once when
a new waiter comes, then backing off (the projector commits batches, not single events).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.read_models import projected_offsets

log = structlog.get_logger(__name__)

_FIRST_DELAY_S = 0.005
_MAX_DELAY_S = 0.1


@dataclass(eq=False)  # each waiter is its own (a set member by identity)
class _Waiter:
    topic: str
    partition: int
    offset: int
    done: asyncio.Future[None] = field(repr=False)


class ProjectionWatcher:
    """Resolves each waiter once the projector's next offset on its partition passed it."""

    def __init__(self, engine: Engine, projector: str) -> None:
        self._engine = engine
        self._projector = projector
        self._waiters: set[_Waiter] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many requests wait for the projector right now."""
        return len(self._waiters)

    async def wait(self, topic: str, partition: int, offset: int, timeout_s: float) -> bool:
        """True once the projector passed `offset`; False after timeout_s without that."""
        waiter = _Waiter(topic, partition, offset, asyncio.get_running_loop().create_future())
        self._waiters.add(waiter)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll(), name="projection-watch")
        try:
            await asyncio.wait_for(asyncio.shield(waiter.done), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)

    async def stop(self) -> None:
        """Stop polling (the app is shutting down)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _poll(self) -> None:
        delay = _FIRST_DELAY_S
        while self._waiters:
            self._wake.clear()
            try:
                offsets = await run_in_threadpool(projected_offsets, self._engine, self._projector)
            except Exception as exc:  # the database may be down a moment; waiters time out
                log.warning("api.projection_watch_failed", error=repr(exc))
                offsets = {}
            for waiter in list(self._waiters):
                if offsets.get((waiter.topic, waiter.partition), 0) > waiter.offset:
                    if not waiter.done.done():
                        waiter.done.set_result(None)
                    self._waiters.discard(waiter)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                delay = _FIRST_DELAY_S
            except TimeoutError:
                delay = min(delay * 2, _MAX_DELAY_S)
