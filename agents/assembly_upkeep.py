"""The assembler's periodic upkeep: every render in the table ends, even when no event comes.

A worker's timer calls `Upkeep.tick` every few seconds, for the partitions it owns: a render
found assembling, or with every clip in but no join running (its worker died or lost the
partition mid-join), is joined again; an open render whose clips stopped moving has its
outcomes read from the log again and, still short after a longer while, its unfinished
clip tasks queued again; a render past its deadline fails with error_code
"deadline" and a sentence naming the tasks that never finished; an entry that never saw its
request (a late event of an ended render) is dropped once it expires. The deadline counts
from the request's event time, which is in the table, so a restart does not reset it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from agents.assembler import Assembler
from agents.assembly_media import discard_clips
from agents.assembly_state import (
    AssemblyStatus,
    JobAssembly,
    fold_assembly,
    from_json,
    outcome_event_id,
    unfinished,
)
from agents.metrics import RENDER_CLIP_REQUEUED
from agents.planning import plan_request
from events.base import Envelope
from events.payloads import RenderFailed, RenderRequested

log = structlog.get_logger("render_worker")

# Reads a render's clip events from the log again (its partition of clip.events).
Reread = Callable[[JobAssembly], Awaitable[list[Envelope[Any]]]]
# An open render whose clips have not moved for this long has its outcomes read again.
STALLED_AFTER = timedelta(seconds=20)
# Still short of outcomes this long after its clips last moved: the unfinished tasks are
# queued again. Whatever lost a task message (a commit past it in a rebalance, a consumer
# that skipped it), the render ends. A task still held somewhere is not run twice: a copy
# lands on the same partition, so the same worker, which lets it ride on the one it holds.
# A minute: a worker stopped mid-render (a rolling restart) must not hold its render up for
# long when a task message of its partitions went missing in the handover.
REQUEUE_AFTER = timedelta(seconds=60)


@dataclass
class Upkeep:
    """Finishes, fails or drops the assembler's renders that no event will move on."""

    assembler: Assembler
    # A table entry can miss outcomes that are in the log: a worker stopped or rebalanced
    # away after committing clip.events offsets whose table writes its successor's recovery
    # did not see. Reading the render's clip events again (the fold is idempotent) heals it.
    reread: Reread | None = None
    stalled_after: timedelta = STALLED_AFTER
    requeue_after: timedelta = REQUEUE_AFTER
    # Work started by tick; a reference keeps each task alive until it ends.
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    _reread_at: dict[str, datetime] = field(default_factory=dict)
    _requeued_at: dict[str, datetime] = field(default_factory=dict)

    def tick(self, partitions: set[int] | None = None) -> list[asyncio.Task[Any]]:
        """Look at every entry of `partitions` (this worker's; None: all) and start what it
        needs; returns the work started, which runs in the background."""
        asm = self.assembler
        now = asm.clock()
        started: list[asyncio.Task[Any]] = []
        for job, stored in list(asm.table.items()):
            state = from_json(stored)
            if partitions is not None and state.partition not in partitions:
                continue  # another worker's (a standby copy, or a revoked partition)
            if job in asm.busy or job in asm.ended:
                continue
            if state.request is None:
                expires = asm.deadline.expires(state)
                if expires is not None and now > expires:
                    log.info("render_worker.render_entry_dropped", trace_id=None, render_job_id=job)
                    asm.forget(state)
                    # Its late clips too, should the process that ended it have forgotten it.
                    started.append(self._spawn(discard_clips(asm.media, job, None)))
                continue
            # A join that had begun goes on; an open render past its deadline ends there,
            # even if its last clips came in late.
            if state.status is AssemblyStatus.OPEN and asm.overdue(state):
                started.append(self._spawn(self.expire(state)))
            elif state.status is AssemblyStatus.ASSEMBLING or state.ready:
                started.append(self._spawn(asm.assemble(state, resumed=True)))
            elif self._stalled(state, now):
                self._reread_at[job] = now
                started.append(self._spawn(self.reread_outcomes(state)))
        return started

    def _stalled(self, state: JobAssembly, now: datetime) -> bool:
        if self.reread is None or state.status is not AssemblyStatus.OPEN or not state.task_ids:
            return False
        last = _last_moved(state, self._reread_at.get(state.render_job_id))
        return last is None or now - last > self.stalled_after

    async def reread_outcomes(self, state: JobAssembly) -> None:
        """Fold the render's clip events from the log again; join if that completes it.

        The fold stays in memory: a timer cannot write the Faust table (its changelog
        partition comes from the event being processed), and a join resumed from the folded
        state needs no write; a render still short of outcomes is read again later."""
        assert self.reread is not None
        asm, job = self.assembler, state.render_job_id
        events = await self.reread(state)
        after = state
        for env in events:
            after = fold_assembly(after, env)
        log.info(
            "render_worker.outcomes_reread",
            trace_id=state.trace_id,
            render_job_id=job,
            events=len(events),
            done_before=state.done_tasks,
            done_after=after.done_tasks,
        )
        if job in asm.busy or job in asm.ended:
            return
        if after.ready:
            await asm.assemble(after, resumed=True)
        elif self._requeue_due(after, asm.clock()):
            await self.requeue(after)

    def _still_since(self, state: JobAssembly) -> datetime | None:
        """When the render last moved (a clip event, its request, or a requeue)."""
        return _last_moved(state, self._requeued_at.get(state.render_job_id))

    def _requeue_due(self, state: JobAssembly, now: datetime) -> bool:
        last = self._still_since(state)
        return last is not None and now - last > self.requeue_after

    async def requeue(self, state: JobAssembly) -> None:
        """Queue again the render's planned clip tasks that have no outcome."""
        asm, job = self.assembler, state.render_job_id
        now, last = asm.clock(), self._still_since(state)
        self._requeued_at[job] = now
        req: RenderRequested
        req, _ = asm.plan(job, state.request or {})
        unfinished_ids = {t for t in state.task_ids or () if not state.has_outcome(t)}
        tasks = plan_request(req, max_segments=len(req.edl.segments)).tasks
        lost = [t for t in tasks if t.task_id in unfinished_ids]
        if not lost:
            return
        log.warning(
            "render_worker.clip_tasks_requeued",
            trace_id=state.trace_id,
            render_job_id=job,
            tasks=[t.task_id for t in lost],
            still_for_s=None if last is None else round((now - last).total_seconds()),
        )
        RENDER_CLIP_REQUEUED.inc(len(lost))
        await asm.emit(state, list(lost))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def expire(self, state: JobAssembly) -> None:
        """End a render past its deadline with RenderFailed("deadline") naming what never ended."""
        asm, job = self.assembler, state.render_job_id
        asm.busy.add(job)
        try:
            req, _ = asm.plan(job, state.request or {})
            allowed = asm.deadline.allowed_s(req.edl.total_duration_ms)
            error = (
                f"the render did not end within its deadline of {allowed:g} s after its "
                f"request; {unfinished(state)}"
            )
            log.warning(
                "render_worker.render_deadline",
                trace_id=state.trace_id,
                render_job_id=job,
                error=error,
            )
            failed = RenderFailed(render_job_id=job, error=error, error_code="deadline")
            await asm.emit(state, [failed], event_id=outcome_event_id(job))
            asm.forget(state)
            await asm.drop(state)
        finally:
            asm.busy.discard(job)


def _last_moved(state: JobAssembly, mark: datetime | None) -> datetime | None:
    """The latest of the render's last clip event, its request's arrival and `mark`."""
    times = (state.clips.last_event_at, state.request_seen_at, mark)
    return max((t for t in times if t is not None), default=None)
