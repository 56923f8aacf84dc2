"""Pure folds: (row state, event) -> row state. No clock, no I/O, no randomness.

Every fold is idempotent (a redelivered event changes nothing) and the folds of
different topics commute, so a replay rebuilds the same rows whatever the
interleaving of partitions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from events.base import Envelope
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    ClipStats,
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
    RenderCancelled,
    RenderCompleted,
    RenderConfigUpdated,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
)
from projections.state import (
    AnalysisState,
    ConfigVersionState,
    JobClipState,
    JobState,
    TaskState,
    TaskStatus,
)

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
    "remote": TaskStatus.SUCCESS,
    "local": TaskStatus.FALLBACK_LOCAL,
    "placeholder": TaskStatus.FALLBACK_PLACEHOLDER,
}
_TERMINAL_JOB_STATUSES = frozenset({"complete", "failed", "cancelled"})


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _latest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


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
        new = replace(base, queued_at=_earliest(base.queued_at, at))
    elif base.status.terminal:
        new = base
    elif isinstance(p, ClipTaskStarted):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            attempt=max(base.attempt, p.attempt),
            slot=p.slot,
            worker_id=p.worker_id,
            source_type=p.source_type.value,
            started_at=_earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskRetrying):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            attempt=max(base.attempt, p.attempt),
            retries=max(base.retries, p.attempt + 1),
            error_code=p.reason.value,
            error_message=p.error or None,
            started_at=_earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskFellBack):
        new = replace(
            base,
            status=TaskStatus.RUNNING,
            source_type=p.to_source.value,
            error_code=p.reason.value,
            error_message=p.error or None,
            fallback_reasons={**base.fallback_reasons, p.from_source.value: p.reason.value},
            started_at=_earliest(base.started_at, at),
        )
    elif isinstance(p, ClipTaskSucceeded):
        new = replace(
            base,
            status=_OUTCOME_STATUS[p.source_type.value],
            attempt=max(base.attempt, p.attempt),
            source_type=p.source_type.value,
            clip_path=p.clip_path,
            duration_ms=p.duration_ms,
            started_at=_earliest(base.started_at, at),
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
            started_at=_earliest(base.started_at, at),
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
            last = _latest(last, env.occurred_at)
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


def _job_rank(status: str) -> int:
    return 2 if status in _TERMINAL_JOB_STATUSES else (1 if status == "running" else 0)


def fold_job(job: JobState | None, env: Envelope[Any]) -> JobState:
    """Fold one render.jobs event into the job row; a terminal status is never left."""
    p = env.payload
    at = env.occurred_at
    base = job or JobState(render_job_id=p.render_job_id)
    terminal = _job_rank(base.status) == 2
    new = base
    if isinstance(p, RenderRequested):
        new = replace(
            base,
            workspace_id=p.workspace_id,
            project_id=p.project_id,
            requested_by=p.requested_by,
            kind=p.kind,
            edl_hash=p.edl_hash,
            render_settings={"kind": p.kind, **p.output.model_dump(mode="json")},
            trace_id=env.trace_id,
            created_at=_earliest(base.created_at, at),
        )
    elif isinstance(p, RenderStarted):
        new = replace(
            base,
            planned_tasks=p.total_tasks,
            status=base.status if terminal else "running",
            started_at=_earliest(base.started_at, at),
        )
    elif isinstance(p, RenderProgress) and not terminal:
        if p.progress >= base.progress:
            new = replace(
                base,
                status="running",
                progress=p.progress,
                progress_message=p.message,
                started_at=_earliest(base.started_at, at),
            )
    elif isinstance(p, RenderCompleted) and not terminal:
        new = replace(
            base,
            status="complete",
            progress=100.0,
            progress_message="complete",
            output_path=p.output,
            file_size=p.file_size,
            duration_ms=p.duration_ms,
            completed_at=at,
        )
    elif isinstance(p, RenderFailed) and not terminal:
        new = replace(
            base,
            status="failed",
            error_message=p.error,
            error_code=p.error_code,
            completed_at=at,
        )
    elif isinstance(p, RenderCancelled) and not terminal:
        new = replace(base, status="cancelled", progress_message="cancelled", completed_at=at)
    if new == base:
        return job if job is not None else base
    return replace(new, updated_at=_latest(new.updated_at, at))


def fold_config(current: ConfigVersionState | None, env: Envelope[Any]) -> ConfigVersionState:
    """Record a configuration version; a version, once recorded, is never rewritten."""
    p: RenderConfigUpdated = env.payload
    if current is not None:
        return current
    return ConfigVersionState(
        version=p.version,
        config=p.config.model_dump(mode="json"),
        updated_by=p.updated_by,
        event_id=env.event_id,
        occurred_at=env.occurred_at,
    )


def fold_analysis(current: AnalysisState | None, env: Envelope[Any]) -> AnalysisState:
    """Fold a beat analysis event into the track's analysis row."""
    p = env.payload
    base = current or AnalysisState(audio_track_id=p.audio_track_id, project_id=p.project_id)
    if isinstance(p, BeatAnalysisRequested):
        new = replace(base, requested_at=_earliest(base.requested_at, env.occurred_at))
    elif isinstance(p, BeatAnalysisCompleted):
        new = replace(
            base,
            status=p.status,
            bpm=p.bpm,
            bpm_confidence=p.bpm_confidence,
            beat_count=p.beat_count,
            beat_grid_path=p.beat_grid_path,
            error=p.error or None,
            completed_at=_latest(base.completed_at, env.occurred_at),
        )
    else:
        raise TypeError(f"not an analysis event: {env.type}")
    return current if current is not None and new == current else new
