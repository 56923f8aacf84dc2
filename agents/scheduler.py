"""Which queued clip task runs next: at most per_video_limit per video and max_parallelism in
all, in arrival order otherwise. Both limits are read live, so a config change applies to the
next start."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from events.payloads import RenderClipConfig

RunTask = Callable[[Any, int], Awaitable[None]]


@dataclass
class _Entry:
    video_id: str
    item: Any
    on_done: Callable[[], None]
    owner: Any = None


@dataclass
class ClipScheduler:
    """Starts tasks as limits allow; `run(item, slot)` does the work."""

    limits: Callable[[], RenderClipConfig]
    run: RunTask
    pending: list[_Entry] = field(default_factory=list)
    running: Counter[str] = field(default_factory=Counter)
    slots: set[int] = field(default_factory=set)
    peak: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def submit(
        self, video_id: str, item: Any, on_done: Callable[[], None], owner: Any = None
    ) -> None:
        """Queue a task; `on_done` is called once it has finished, however it ended."""
        self.pending.append(_Entry(video_id, item, on_done, owner))
        self.pump()

    def drop(self, owners: set[Any]) -> int:
        """Forget queued tasks of the given owners (revoked partitions); return how many."""
        before = len(self.pending)
        self.pending = [e for e in self.pending if e.owner not in owners]
        return before - len(self.pending)

    @property
    def inflight(self) -> int:
        """Tasks running now."""
        return sum(self.running.values())

    def pump(self) -> None:
        """Start every queued task the limits allow, oldest first."""
        config = self.limits()
        i = 0
        while i < len(self.pending) and self.inflight < config.max_parallelism:
            entry = self.pending[i]
            if self.running[entry.video_id] >= config.per_video_limit:
                i += 1
                continue
            del self.pending[i]
            slot = min(set(range(len(self.slots) + 1)) - self.slots)
            self.slots.add(slot)
            self.running[entry.video_id] += 1
            self.peak = max(self.peak, self.inflight)
            task = asyncio.create_task(self._run(entry, slot))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, entry: _Entry, slot: int) -> None:
        try:
            await self.run(entry.item, slot)
        finally:
            self.running[entry.video_id] -= 1
            if not self.running[entry.video_id]:
                del self.running[entry.video_id]
            self.slots.discard(slot)
            entry.on_done()
            self.pump()

    async def idle(self) -> None:
        """Wait until nothing runs and nothing is queued (for tests and shutdown)."""
        while self.pending or self._tasks:
            await asyncio.sleep(0.01)
