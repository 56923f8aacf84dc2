"""What the assembler knows about one render (pure): the request, the planned tasks and the
clip outcomes so far; when every planned task has an outcome, the render can be assembled."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from domain.clip_stats import (
    JobClipState,
    clip_state_from_json,
    clip_state_to_json,
    fold_clip,
)
from events.base import Envelope
from events.payloads import RenderCancelled, RenderRequested, RenderStarted
from events.topics import Topic


class AssemblyStatus(StrEnum):
    """Where the assembler is with one render: open (clips coming in), assembling (joining),
    done (an outcome was emitted) or cancelled."""

    OPEN = "open"
    ASSEMBLING = "assembling"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobAssembly:
    """One render as the assembler sees it."""

    render_job_id: str
    clips: JobClipState
    request: dict[str, Any] | None = None
    trace_id: str | None = None
    request_event_id: str | None = None
    task_ids: tuple[str, ...] | None = None
    status: AssemblyStatus = AssemblyStatus.OPEN

    @property
    def done_tasks(self) -> int:
        """Planned tasks that have an outcome."""
        if self.task_ids is None:
            return 0
        tasks = self.clips.tasks
        return sum(1 for t in self.task_ids if t in tasks and tasks[t].status.terminal)

    @property
    def ready(self) -> bool:
        """True once the request is known and every planned task has an outcome."""
        return (
            self.status is AssemblyStatus.OPEN
            and self.request is not None
            and self.task_ids is not None
            and self.done_tasks == len(self.task_ids)
        )


def new_job(render_job_id: str) -> JobAssembly:
    """The state of a render nothing is known of yet."""
    return JobAssembly(render_job_id=render_job_id, clips=JobClipState(render_job_id))


def fold_assembly(state: JobAssembly, env: Envelope[Any]) -> JobAssembly:
    """Fold one render.jobs or clip.events event into the render's state."""
    p = env.payload
    if p.topic == Topic.CLIP_EVENTS:
        clips = fold_clip(state.clips, env)
        return state if clips is state.clips else replace(state, clips=clips)
    if isinstance(p, RenderRequested) and state.request is None:
        return replace(
            state,
            request=p.model_dump(mode="json"),
            trace_id=env.trace_id,
            request_event_id=env.event_id,
        )
    if isinstance(p, RenderStarted) and state.task_ids is None:
        return replace(state, task_ids=tuple(p.task_ids))
    if isinstance(p, RenderCancelled) and state.status is AssemblyStatus.OPEN:
        return replace(state, status=AssemblyStatus.CANCELLED)
    return state


def to_json(state: JobAssembly) -> dict[str, Any]:
    """The state as JSON for the assembler's Faust table."""
    return {
        "render_job_id": state.render_job_id,
        "clips": clip_state_to_json(state.clips),
        "request": state.request,
        "trace_id": state.trace_id,
        "request_event_id": state.request_event_id,
        "task_ids": None if state.task_ids is None else list(state.task_ids),
        "status": state.status.value,
    }


def from_json(data: dict[str, Any]) -> JobAssembly:
    """The inverse of to_json."""
    ids = data.get("task_ids")
    return JobAssembly(
        render_job_id=data["render_job_id"],
        clips=clip_state_from_json(data["clips"]),
        request=data.get("request"),
        trace_id=data.get("trace_id"),
        request_event_id=data.get("request_event_id"),
        task_ids=None if ids is None else tuple(ids),
        status=AssemblyStatus(data.get("status", AssemblyStatus.OPEN)),
    )
