"""How clip-task events add up: task states and clip_stats, shared by the assembler (which
reports them in RenderCompleted) and the projector (which stores them). Pure: no clock, no I/O.

The fold is idempotent (a redelivered event changes nothing) and ClipTaskQueued, which travels
on its own topic, may arrive anywhere relative to the outcome events without changing the result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from events.base import Envelope
from events.payloads import (
    ClipStats,
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
)
from events.payloads.common import SourceType


class TaskStatus(StrEnum):
    """A clip task's lifecycle: pending → running → one outcome."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    FALLBACK_LOCAL = "fallback-local"
    FALLBACK_PLACEHOLDER = "fallback-placeholder"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """True once the task has an outcome."""
        return self not in (TaskStatus.PENDING, TaskStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class TaskState:
    """One clip task row."""

    task_id: str
    render_job_id: str
    video_id: str | None = None
    segment_index: int | None = None
    # Where the segment sits in the output and which file it shows (from ClipTaskQueued).
    timeline_in_ms: int | None = None
    timeline_out_ms: int | None = None
    file_name: str | None = None
    status: TaskStatus = TaskStatus.PENDING
    attempt: int = 0
    retries: int = 0
    slot: int | None = None
    worker_id: str | None = None
    source_type: SourceType | None = None
    error_code: str | None = None
    error_message: str | None = None
    clip_path: str | None = None
    duration_ms: int | None = None
    # from_source → reason, one entry per fallback step, so a redelivery adds nothing.
    fallback_reasons: dict[str, str] = field(default_factory=dict)
    # The render config version the task's latest attempt ran under (None: not recorded).
    config_version: int | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class JobClipState:
    """Everything a job's clip_stats is derived from."""

    render_job_id: str
    tasks: dict[str, TaskState] = field(default_factory=dict)
    peak_parallelism: int = 0
    last_event_at: datetime | None = None


ClipEvent = (
    ClipTaskQueued
    | ClipTaskStarted
    | ClipTaskRetrying
    | ClipTaskFellBack
    | ClipTaskSucceeded
    | ClipTaskFailed
)
CLIP_EVENT_TYPES = (
    ClipTaskQueued,
    ClipTaskStarted,
    ClipTaskRetrying,
    ClipTaskFellBack,
    ClipTaskSucceeded,
    ClipTaskFailed,
)
_OUTCOME_STATUS = {
    SourceType.REMOTE: TaskStatus.SUCCESS,
    SourceType.LOCAL: TaskStatus.FALLBACK_LOCAL,
    SourceType.PLACEHOLDER: TaskStatus.FALLBACK_PLACEHOLDER,
}


def earliest(a: datetime | None, b: datetime) -> datetime:
    """The earlier of two times, where None means not yet known."""
    return b if a is None or b < a else a


def latest(a: datetime | None, b: datetime) -> datetime:
    """The later of two times, where None means not yet known."""
    return b if a is None or b > a else a


def outcome_status(task: TaskState, source_type: SourceType) -> TaskStatus:
    """A clip from the task's first source is a success, whichever source that was; one
    reached by falling back says so (a render of local files only is all successes)."""
    if not task.fallback_reasons and source_type is not SourceType.PLACEHOLDER:
        return TaskStatus.SUCCESS
    return _OUTCOME_STATUS[source_type]


def fold_task(task: TaskState | None, env: Envelope[Any]) -> TaskState:
    """Fold one clip event into its task; an outcome is final, so the first one wins."""
    p = env.payload
    at = env.occurred_at
    base = task or TaskState(task_id=p.task_id, render_job_id=p.render_job_id)
    if base.video_id is None or base.segment_index is None:
        # Every clip event names the video and segment, whichever topic it came from.
        base = replace(
            base,
            video_id=base.video_id or p.video_id,
            segment_index=p.segment_index if base.segment_index is None else base.segment_index,
        )
    if isinstance(p, ClipTaskQueued):
        new = replace(
            base,
            queued_at=earliest(base.queued_at, at),
            timeline_in_ms=p.segment.timeline_in_ms,
            timeline_out_ms=p.segment.timeline_out_ms,
            file_name=p.source.file_name,
        )
    elif base.status.terminal:
        new = base
    elif isinstance(p, ClipTaskStarted):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            attempt=max(base.attempt, p.attempt),
            slot=p.slot,
            worker_id=p.worker_id,
            source_type=p.source_type,
            config_version=p.config_version,
            started_at=earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskRetrying):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            attempt=max(base.attempt, p.attempt),
            retries=max(base.retries, p.attempt + 1),
            error_code=p.reason.value,
            error_message=p.error or None,
            started_at=earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskFellBack):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            source_type=p.to_source,
            error_code=p.reason.value,
            error_message=p.error or None,
            fallback_reasons={**base.fallback_reasons, p.from_source.value: p.reason.value},
            started_at=earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskSucceeded):
        new = replace(
            base,
            status=outcome_status(base, p.source_type),
            attempt=max(base.attempt, p.attempt),
            source_type=p.source_type,
            clip_path=p.clip_path,
            # The worker that rendered the clip; older events name none, Started did.
            worker_id=p.worker_id or base.worker_id,
            duration_ms=p.duration_ms,
            started_at=earliest(base.started_at, at),
            finished_at=at,
        )
    elif isinstance(p, ClipTaskFailed):
        new = replace(
            base,
            status=TaskStatus.FAILED,
            attempt=max(base.attempt, p.attempt),
            error_code=p.reason.value,
            error_message=p.error or None,
            duration_ms=p.duration_ms,
            started_at=earliest(base.started_at, at),
            finished_at=at,
        )
    else:
        raise TypeError(f"not a clip event: {env.type}")
    return task if task is not None and new == task else new


def fold_clip_events(state: JobClipState, events: Iterable[Envelope[Any]]) -> JobClipState:
    """Fold a job's clip events in log order; tracks how many of its tasks ran at once."""
    tasks = dict(state.tasks)
    running = sum(1 for t in tasks.values() if t.status is TaskStatus.RUNNING)
    peak, last = state.peak_parallelism, state.last_event_at
    for env in events:
        before = tasks.get(env.payload.task_id)
        after = fold_task(before, env)
        if after is before:
            continue
        tasks[after.task_id] = after
        was_running = before is not None and before.status is TaskStatus.RUNNING
        is_running = after.status is TaskStatus.RUNNING
        running += int(is_running) - int(was_running)
        # An outcome with no start seen still ran, for an instant at least; an event that
        # leaves the status as it was (a late ClipTaskQueued) starts nothing.
        status_changed = before is None or before.status is not after.status
        ran_now = status_changed and (is_running or (after.status.terminal and not was_running))
        if ran_now:
            peak = max(peak, running + (0 if is_running else 1))
        if not isinstance(env.payload, ClipTaskQueued):
            last = latest(last, env.occurred_at)
    return JobClipState(
        render_job_id=state.render_job_id, tasks=tasks, peak_parallelism=peak, last_event_at=last
    )


def fold_clip(state: JobClipState, env: Envelope[Any]) -> JobClipState:
    """Fold one clip event into its job's clip state."""
    return fold_clip_events(state, (env,))


def p95(values: list[int]) -> float:
    """The 95th percentile by nearest rank (the smallest value with 95 % at or below it)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[math.ceil(0.95 * len(ordered)) - 1])


def clip_stats(state: JobClipState) -> ClipStats:
    """Derive clip_stats; placeholders count as failed, so success + failed == total."""
    done = [t for t in state.tasks.values() if t.status.terminal]
    statuses = Counter(t.status for t in done)
    placeholder = statuses[TaskStatus.FALLBACK_PLACEHOLDER]
    success = statuses[TaskStatus.SUCCESS] + statuses[TaskStatus.FALLBACK_LOCAL]
    durations = [t.duration_ms or 0 for t in done]
    reasons = Counter(r for t in state.tasks.values() for r in t.fallback_reasons.values())
    return ClipStats(
        total_tasks=len(done),
        success_tasks=success,
        failed_tasks=placeholder + statuses[TaskStatus.FAILED],
        placeholder_tasks=placeholder,
        avg_task_duration_ms=round(sum(durations) / len(durations), 3) if durations else 0.0,
        p95_task_duration_ms=p95(durations),
        peak_parallelism=state.peak_parallelism,
        fallback_reason_counts=dict(sorted(reasons.items())),
        total_clips=success + placeholder,
        generated_at=None if state.last_event_at is None else state.last_event_at.isoformat(),
    )


_TIMES = ("queued_at", "started_at", "finished_at")


def source_type_of(stored: str | None) -> SourceType | None:
    """A stored source type back as the enum (None where the task has none yet)."""
    return None if stored is None else SourceType(stored)


def task_to_json(task: TaskState) -> dict[str, Any]:
    """A task state as plain JSON values."""
    out: dict[str, Any] = {}
    for name in TaskState.__dataclass_fields__:
        value = getattr(task, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    out["status"] = task.status.value
    out["source_type"] = None if task.source_type is None else task.source_type.value
    return out


def task_from_json(data: dict[str, Any]) -> TaskState:
    """The inverse of task_to_json."""
    values = dict(data)
    values["status"] = TaskStatus(values["status"])
    values["source_type"] = source_type_of(values.get("source_type"))
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    return TaskState(**values)


def clip_state_to_json(state: JobClipState) -> dict[str, Any]:
    """A job's clip state as plain JSON values (for a Faust table)."""
    return {
        "render_job_id": state.render_job_id,
        "tasks": {k: task_to_json(t) for k, t in state.tasks.items()},
        "peak_parallelism": state.peak_parallelism,
        "last_event_at": None if state.last_event_at is None else state.last_event_at.isoformat(),
    }


def clip_state_from_json(data: dict[str, Any]) -> JobClipState:
    """The inverse of clip_state_to_json."""
    last = data.get("last_event_at")
    return JobClipState(
        render_job_id=data["render_job_id"],
        tasks={k: task_from_json(t) for k, t in data["tasks"].items()},
        peak_parallelism=data["peak_parallelism"],
        last_event_at=None if last is None else datetime.fromisoformat(last),
    )
