"""Plain, immutable row states that the pure folds work on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.clip_stats import JobClipState, TaskState, TaskStatus

__all__ = [
    "AnalysisState",
    "ConfigVersionState",
    "JobClipState",
    "JobState",
    "TaskState",
    "TaskStatus",
]


@dataclass(frozen=True, slots=True)
class JobState:
    """The render job row, as folded from render.jobs events."""

    render_job_id: str
    workspace_id: str | None = None
    project_id: str | None = None
    requested_by: str | None = None
    kind: str | None = None
    status: str = "queued"
    progress: float = 0.0
    progress_message: str = ""
    edl_hash: str | None = None
    render_settings: dict[str, Any] | None = None
    trace_id: str | None = None
    planned_tasks: int | None = None
    output_path: str | None = None
    file_size: int | None = None
    duration_ms: int | None = None
    error_message: str | None = None
    error_code: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConfigVersionState:
    """One accepted render clip configuration version."""

    version: int
    config: dict[str, Any]
    updated_by: str
    event_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class AnalysisState:
    """An audio track's beat analysis status."""

    audio_track_id: str
    project_id: str | None = None
    status: str = "pending"
    bpm: float | None = None
    bpm_confidence: float | None = None
    beat_count: int = 0
    beat_grid_path: str | None = None
    error: str | None = None
    requested_at: datetime | None = None
    completed_at: datetime | None = None
