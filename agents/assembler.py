"""The assembler: counts each render's clip outcomes; when all are in, joins the clips with
their transitions and the music, and reports progress and the result."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import structlog

from agents.assembly_state import (
    ASSEMBLING,
    CANCELLED,
    DONE,
    OPEN,
    JobAssembly,
    fold_assembly,
    from_json,
    new_job,
    to_json,
)
from agents.clip_job import RenderDone, assemble_render
from events.base import Envelope, Payload
from events.clip_stats import clip_stats
from events.payloads import (
    RenderCompleted,
    RenderFailed,
    RenderProgress,
    RenderRequested,
)
from events.topics import Topic

log = structlog.get_logger("render_worker")

Emit = Callable[[JobAssembly, list[Payload]], Awaitable[None]]
Execute = Callable[..., Awaitable[RenderDone]]
# Clips are the first 90 % of a render; assembly the rest.
CLIPS_SHARE = 90.0


@dataclass
class Assembler:
    """Folds events per render into a table and assembles renders that are complete."""

    table: MutableMapping[str, Any]
    emit: Emit
    execute: Execute
    artifacts: Path
    placeholder: Callable[[], str]

    def tmp_dir(self, job: str) -> Path:
        """The render's intermediate files."""
        return self.artifacts / "render_tmp" / f"job_{job}"

    def output_path(self, job: str) -> Path:
        """Where the render's MP4 goes."""
        return self.artifacts / "renders" / f"{job}.mp4"

    async def handle(self, env: Envelope[Any]) -> None:
        """Fold one event; report progress; assemble when the last clip is in."""
        p = env.payload
        if p.topic not in (Topic.RENDER_JOBS, Topic.CLIP_EVENTS):
            return
        job = p.render_job_id
        stored = self.table.get(job)
        before = new_job(job) if stored is None else from_json(stored)
        after = fold_assembly(before, env)
        if after is before:
            return
        self.table[job] = to_json(after)
        if after.status == CANCELLED and before.status != CANCELLED:
            shutil.rmtree(self.tmp_dir(job), ignore_errors=True)
            return
        planned = after.task_ids or ()
        progressed = after.done_tasks > before.done_tasks
        if planned and progressed and after.status == OPEN and not after.ready:
            done, total = after.done_tasks, len(planned)
            await self.emit(
                after,
                [
                    RenderProgress(
                        render_job_id=job,
                        status="running",
                        progress=round(CLIPS_SHARE * done / total, 2),
                        message=f"clips {done}/{total}",
                    )
                ],
            )
        if after.ready:
            await self.assemble(after)

    async def assemble(self, state: JobAssembly) -> None:
        """Join the clips into the MP4 and report the outcome; temporary files go either way."""
        job = state.render_job_id
        task_ids, request = state.task_ids, state.request
        assert task_ids is not None and request is not None  # ready() checked both
        state = replace(state, status=ASSEMBLING)
        self.table[job] = to_json(state)
        req = RenderRequested.model_validate(request)
        total = len(task_ids)
        await self.emit(
            state,
            [
                RenderProgress(
                    render_job_id=job,
                    status="assembling",
                    progress=CLIPS_SHARE,
                    message=f"joining {total} clips with transitions and music",
                )
            ],
        )
        clips = [state.clips.tasks[t].clip_path for t in task_ids]
        bound = log.bind(trace_id=state.trace_id, render_job_id=job)
        try:
            done = await self.execute(
                assemble_render,
                req.edl,
                clips,
                self.placeholder(),
                req.audio.path,
                str(self.output_path(job)),
                req.output,
                req.kind,
                str(self.tmp_dir(job) / "assembly"),
            )
        except Exception as exc:  # the render fails with a message; the worker goes on
            bound.error("render_worker.render_failed", error=str(exc))
            outcome: Payload = RenderFailed(
                render_job_id=job, error=f"assembly failed: {exc}", error_code="assembly_failed"
            )
        else:
            stats = clip_stats(state.clips)
            bound.info("render_worker.clip_stats", **stats.model_dump(mode="json"))
            outcome = RenderCompleted(
                render_job_id=job,
                output=done.path,
                file_size=done.file_size,
                duration_ms=int(req.edl.get("total_duration_ms", 0)),
                clip_stats=stats,
            )
        finally:
            shutil.rmtree(self.tmp_dir(job), ignore_errors=True)
        await self.emit(state, [outcome])
        self.table[job] = to_json(replace(state, status=DONE))
