"""What the assembler knows about one render (pure): the request, the planned tasks and the
clip outcomes so far; when every planned task has an outcome, the render can be assembled.
Also when a render's time is up (its deadline) and which of its tasks never finished."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from agents.planning import task_id
from domain.clip_stats import (
    JobClipState,
    clip_state_from_json,
    clip_state_to_json,
    earliest,
    fold_clip,
)
from events.base import Envelope
from events.payloads import (
    ClipTaskSucceeded,
    RenderCancelled,
    RenderCompleted,
    RenderFailed,
    RenderRequested,
    RenderStarted,
)
from events.topics import Topic


class AssemblyStatus(StrEnum):
    """Where the assembler is with one render: open (clips coming in), assembling (joining),
    done (its RenderCompleted or RenderFailed is in the log) or cancelled."""

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
    # The request's event time, and when an assembler first folded the request (its clock):
    # the deadline counts from the second, kept in the table so a restart does not reset it,
    # and a request stamped long ago or far ahead (a backlog, a foreign producer's clock) is
    # neither failed the moment it is read nor given a deadline out of reach.
    requested_at: datetime | None = None
    request_seen_at: datetime | None = None
    # The earliest event time seen for the render (an entry without a request expires by it).
    first_seen_at: datetime | None = None
    # The partition the render's events arrive on (the table's changelog partition for it).
    partition: int | None = None
    # Task id → its clip's object in the store (ObjectRef as JSON), for clips kept there.
    stored_clips: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def has_outcome(self, task_id: str) -> bool:
        """Whether a task of the render has ended (a clip, a placeholder or a failure)."""
        task = self.clips.tasks.get(task_id)
        return task is not None and task.status.terminal

    @property
    def done_tasks(self) -> int:
        """Planned tasks that have an outcome."""
        return sum(1 for t in self.task_ids or () if self.has_outcome(t))

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
    after = _fold(state, env)
    if after is state:
        return state
    return replace(after, first_seen_at=earliest(state.first_seen_at, env.occurred_at))


def _fold(state: JobAssembly, env: Envelope[Any]) -> JobAssembly:
    p = env.payload
    if p.topic == Topic.CLIP_EVENTS:
        clips = fold_clip(state.clips, env)
        if clips is state.clips:
            return state
        if isinstance(p, ClipTaskSucceeded) and p.clip is not None:
            # The outcome the fold took (the first) names where its clip is kept.
            stored = {**state.stored_clips, p.task_id: p.clip.model_dump(mode="json")}
            return replace(state, clips=clips, stored_clips=stored)
        return replace(state, clips=clips)
    if isinstance(p, RenderRequested) and state.request is None:
        return replace(
            state,
            request=p.model_dump(mode="json"),
            trace_id=env.trace_id,
            request_event_id=env.event_id,
            requested_at=env.occurred_at,
        )
    ended = state.status in (AssemblyStatus.DONE, AssemblyStatus.CANCELLED)
    if isinstance(p, RenderCompleted | RenderFailed) and not ended:
        # Whoever emitted it (this assembler, another one before a crash, the planner for an
        # invalid EDL), the render has its outcome: nothing more to assemble.
        return replace(state, status=AssemblyStatus.DONE)
    if isinstance(p, RenderStarted) and state.task_ids is None:
        if state.request is not None and tuple(p.task_ids) != planned_task_ids(state.request):
            # Not the planner's: planning is deterministic, so a RenderStarted naming other
            # tasks (a producer that is not ours) would make the render join without them.
            return state
        return replace(state, task_ids=tuple(p.task_ids))
    if isinstance(p, RenderCancelled) and state.status is AssemblyStatus.OPEN:
        return replace(state, status=AssemblyStatus.CANCELLED)
    return state


def planned_task_ids(request: dict[str, Any]) -> tuple[str, ...]:
    """The task ids the planner gives a request (in the JSON form the table keeps)."""
    job = request["render_job_id"]
    return tuple(task_id(job, seg["index"]) for seg in request["edl"]["segments"])


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
        "requested_at": _iso(state.requested_at),
        "request_seen_at": _iso(state.request_seen_at),
        "first_seen_at": _iso(state.first_seen_at),
        "partition": state.partition,
        "stored_clips": dict(state.stored_clips),
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
        requested_at=_time(data.get("requested_at")),
        request_seen_at=_time(data.get("request_seen_at")),
        first_seen_at=_time(data.get("first_seen_at")),
        partition=data.get("partition"),
        stored_clips=data.get("stored_clips") or {},
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class Deadline:
    """How long a render may take from its request: `fixed_s` if set, else `base_s` plus
    `per_timeline_s` seconds per second of timeline."""

    fixed_s: float | None = None
    base_s: float = 600.0
    per_timeline_s: float = 20.0

    def allowed_s(self, timeline_ms: int) -> float:
        """Seconds a render of this timeline length may take."""
        if self.fixed_s is not None:
            return self.fixed_s
        return self.base_s + self.per_timeline_s * timeline_ms / 1000

    def expires(self, state: JobAssembly) -> datetime | None:
        """When an entry that never saw its request is dropped (it waits for nothing)."""
        base = self.base_s if self.fixed_s is None else self.fixed_s
        seen = state.first_seen_at
        return None if seen is None else _after(seen, 2 * base)


def deadline_of(state: JobAssembly, timeline_ms: int, deadline: Deadline) -> datetime | None:
    """When the render must have ended; None while its request is unknown."""
    if state.requested_at is None:
        return None
    # From when an assembler first saw the request, whatever its producer's clock stamped on
    # it: earlier (a backlog) must not fail it at once, later (a clock ahead, up to the year
    # 9999) must not put its end out of reach.
    start = state.request_seen_at or state.requested_at
    return _after(start, deadline.allowed_s(timeline_ms))


def _after(at: datetime, seconds: float) -> datetime:
    """`at` plus `seconds`, or the last time there is if that is past it."""
    try:
        return at + timedelta(seconds=seconds)
    except OverflowError:
        return datetime.max.replace(tzinfo=at.tzinfo)


def unfinished(state: JobAssembly, shown: int = 5) -> str:
    """A sentence naming the segments of the planned tasks without an outcome."""
    if state.task_ids is None:
        return "its clip tasks were never planned"
    tasks = state.clips.tasks
    # A task never started has no event here (ClipTaskQueued is on clip.tasks): its segment
    # is its place in RenderStarted.task_ids, which the planner lists in segment order.
    indices: list[int] = []
    for place, t in enumerate(state.task_ids):
        if not state.has_outcome(t):
            known = tasks[t].segment_index if t in tasks else None
            indices.append(place if known is None else known)
    names = ", ".join(str(i) for i in sorted(indices)[:shown])
    more = f" and {len(indices) - shown} more" if len(indices) > shown else ""
    total = len(state.task_ids)
    return f"{len(indices)} of {total} clip tasks never finished: segments {names}{more}"


def outcome_event_id(render_job_id: str) -> str:
    """The event id of a render's RenderCompleted or RenderFailed from the assembler: one per
    render, so an outcome emitted again after a crash is the same event, not a second one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"beatstitch:render-outcome:{render_job_id}"))
