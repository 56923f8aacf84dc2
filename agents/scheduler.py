"""Which queued clip task runs next: at most per_video_limit per video and max_parallelism in
all, in arrival order otherwise. Both limits are read live, so a config change applies to the
next start.

A task is done (its `on_done` called, so its offset may be acked) only when its run returned:
its outcome event is then on the broker. A run that raised (the outcome could not be
produced) is queued again after a pause; a run cut short by `stop()` stays undone, for the
partition's next owner."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from agents.handling import not_sent, retry_delay_s
from agents.pool import PoolClosed
from events.payloads import RenderClipConfig

log = structlog.get_logger("render_worker")

RunTask = Callable[[Any, int], Awaitable[None]]
Sleep = Callable[[float], Awaitable[Any]]
# What to do with a task whose run raised something other than a failure to produce.
OnError = Callable[[BaseException], Awaitable[None]]


@dataclass(eq=False)  # identity: an entry is one delivery of a task
class _Entry:
    seq: int
    video_id: str
    item: Any
    on_done: Callable[[], None]
    owner: Any = None
    on_error: OnError | None = None
    failures: int = 0


@dataclass
class ClipScheduler:
    """Starts tasks as limits allow; `run(item, slot)` does the work.

    `queue_limit` bounds the tasks held but not running; the clipper awaits `room()` before
    it takes the next task from Kafka."""

    limits: Callable[[], RenderClipConfig]
    run: RunTask
    queue_limit: int = 256
    sleep: Sleep = asyncio.sleep
    running: Counter[str] = field(default_factory=Counter)
    slots: set[int] = field(default_factory=set)
    peak: int = 0
    stopping: bool = False
    # Per video, so a pump looks at one head per video, not at every queued task.
    _queues: dict[str, deque[_Entry]] = field(default_factory=dict)
    _queued: int = 0
    _retrying: set[_Entry] = field(default_factory=set, repr=False)
    _active: set[_Entry] = field(default_factory=set, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _room: asyncio.Event | None = None

    def submit(
        self,
        video_id: str,
        item: Any,
        on_done: Callable[[], None],
        owner: Any = None,
        on_error: OnError | None = None,
    ) -> None:
        """Queue a task; `on_done` is called once its run has returned (its outcome sent).

        A run that raises anything but a failure to produce (a bug, a malformed task) is
        handed to `on_error` (the worker dead-letters it) and is then done; without
        `on_error` it runs again like a failure to produce."""
        if self.stopping:
            return  # not started, not done: the next owner of its partition runs it
        self._enqueue(_Entry(next(self._seq), video_id, item, on_done, owner, on_error))
        self.pump()

    def _enqueue(self, entry: _Entry, front: bool = False) -> None:
        queue = self._queues.setdefault(entry.video_id, deque())
        queue.appendleft(entry) if front else queue.append(entry)
        self._queued += 1

    def attach(self, matches: Callable[[Any], bool], on_done: Callable[[], None]) -> bool:
        """If a task queued, running or waiting to run again has a matching item, call
        `on_done` too once that task is done (a second delivery of the same task rides on
        the first: acked with it, or left for the next owner with it); True if one had."""
        held = itertools.chain(*self._queues.values(), self._retrying, self._active)
        for entry in held:
            if matches(entry.item):
                first = entry.on_done

                def both(first: Callable[[], None] = first) -> None:
                    first()
                    on_done()

                entry.on_done = both
                return True
        return False

    @property
    def pending(self) -> int:
        """Tasks held but not running (queued, or waiting to run again)."""
        return self._queued + len(self._retrying)

    async def room(self) -> None:
        """Wait until the queue has room for one more task."""
        if self._room is None:
            self._room = asyncio.Event()
        while self.pending >= self.queue_limit and not self.stopping:
            self._room.clear()
            await self._room.wait()

    def _made_room(self) -> None:
        if self._room is not None and self.pending < self.queue_limit:
            self._room.set()

    def drop(self, owners: set[Any]) -> int:
        """Forget queued tasks of the given owners (revoked partitions); return how many."""
        dropped = 0
        for video_id, queue in list(self._queues.items()):
            kept = deque(e for e in queue if e.owner not in owners)
            dropped += len(queue) - len(kept)
            if kept:
                self._queues[video_id] = kept
            else:
                del self._queues[video_id]
        self._queued -= dropped
        gone = {e for e in self._retrying if e.owner in owners}
        self._retrying -= gone
        self._made_room()
        return dropped + len(gone)

    @property
    def inflight(self) -> int:
        """Tasks running now."""
        return sum(self.running.values())

    def _next(self, per_video_limit: int) -> _Entry | None:
        # The oldest head among the videos below their limit: O(videos), not O(tasks).
        heads = [q[0] for video, q in self._queues.items() if self.running[video] < per_video_limit]
        if not heads:
            return None
        entry = min(heads, key=lambda e: e.seq)
        queue = self._queues[entry.video_id]
        queue.popleft()
        if not queue:
            del self._queues[entry.video_id]
        self._queued -= 1
        return entry

    def pump(self) -> None:
        """Start every queued task the limits allow, oldest first."""
        if self.stopping:
            return
        config = self.limits()
        while self.inflight < config.max_parallelism:
            entry = self._next(config.per_video_limit)
            if entry is None:
                break
            slot = min(set(range(len(self.slots) + 1)) - self.slots)
            self.slots.add(slot)
            self.running[entry.video_id] += 1
            self.peak = max(self.peak, self.inflight)
            self._active.add(entry)
            task = asyncio.create_task(self._run(entry, slot))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._made_room()

    async def _run(self, entry: _Entry, slot: int) -> None:
        try:
            await self.run(entry.item, slot)
        except PoolClosed:
            return  # the worker stops; the task stays unacked for the next owner
        except Exception as exc:  # noqa: BLE001 - the outcome was not produced: run it again
            if entry.on_error is not None and not not_sent(exc) and not self.stopping:
                with contextlib.suppress(Exception):
                    await entry.on_error(exc)
                    entry.on_done()
                    return
            entry.failures += 1
            log.warning(
                "render_worker.clip_task_outcome_not_sent",
                trace_id=getattr(entry.item, "trace_id", None),
                video_id=entry.video_id,
                failures=entry.failures,
                error=f"{type(exc).__name__}: {exc}",
            )
        else:
            entry.on_done()
            return
        finally:
            self._active.discard(entry)
            self._release(entry.video_id, slot)
            self.pump()
        await self._again(entry)

    def _release(self, video_id: str, slot: int) -> None:
        self.running[video_id] -= 1
        if not self.running[video_id]:
            del self.running[video_id]
        self.slots.discard(slot)

    async def _again(self, entry: _Entry) -> None:
        self._retrying.add(entry)
        await self.sleep(retry_delay_s(entry.failures))
        if entry not in self._retrying or self.stopping:
            return  # its partition was revoked, or the worker stops
        self._retrying.discard(entry)
        self._enqueue(entry, front=True)
        self.pump()

    async def stop(self, grace_s: float) -> int:
        """Start nothing more; give running tasks `grace_s` to finish, then cut them short.

        Returns how many tasks were cut short (they stay unacked)."""
        self.stopping = True
        self._queues.clear()
        self._queued = 0
        self._retrying.clear()
        if self._room is not None:
            self._room.set()
        tasks = set(self._tasks)
        if not tasks:
            return 0
        _, late = await asyncio.wait(tasks, timeout=grace_s)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return len(late)

    async def idle(self) -> None:
        """Wait until nothing runs and nothing is queued (for tests)."""
        while self.pending or self._tasks:
            await asyncio.sleep(0.01)
