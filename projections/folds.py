"""Pure folds: (row state, event) -> row state. No clock, no I/O, no randomness.

Every fold is idempotent (a redelivered event changes nothing) and the folds of
different topics commute, so a replay rebuilds the same rows whatever the
interleaving of partitions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from events.base import Envelope
from events.clip_stats import (
    clip_stats,
    earliest,
    fold_clip,
    fold_clip_events,
    fold_task,
    latest,
    p95,
)
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    RenderCancelled,
    RenderCompleted,
    RenderConfigUpdated,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
)
from projections.state import AnalysisState, ConfigVersionState, JobState

# The clip fold is part of the catalog (the assembler uses it too); re-exported for callers.
__all__ = [
    "clip_stats",
    "fold_analysis",
    "fold_clip",
    "fold_clip_events",
    "fold_config",
    "fold_job",
    "fold_task",
    "p95",
]

_TERMINAL_JOB_STATUSES = frozenset({"complete", "failed", "cancelled"})


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
            created_at=earliest(base.created_at, at),
        )
    elif isinstance(p, RenderStarted):
        new = replace(
            base,
            planned_tasks=p.total_tasks,
            status=base.status if terminal else "running",
            started_at=earliest(base.started_at, at),
        )
    elif isinstance(p, RenderProgress) and not terminal:
        if p.progress >= base.progress:
            new = replace(
                base,
                status="running",
                progress=p.progress,
                progress_message=p.message,
                started_at=earliest(base.started_at, at),
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
    return replace(new, updated_at=latest(new.updated_at, at))


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
        new = replace(base, requested_at=earliest(base.requested_at, env.occurred_at))
    elif isinstance(p, BeatAnalysisCompleted):
        new = replace(
            base,
            status=p.status,
            bpm=p.bpm,
            bpm_confidence=p.bpm_confidence,
            beat_count=p.beat_count,
            beat_grid_path=p.beat_grid_path,
            error=p.error or None,
            completed_at=latest(base.completed_at, env.occurred_at),
        )
    else:
        raise TypeError(f"not an analysis event: {env.type}")
    return current if current is not None and new == current else new
