"""A render job's status vocabulary and the one fold of its render.jobs events (pure).

The projector folds these events into the job row and the API's progress stream folds the
same events into the same state, so a stream and a GET never tell two stories.
The fold is idempotent (a redelivered event changes nothing) and a terminal status is
never left: a late progress report after the end changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.clip_stats import earliest, latest
from events.base import Envelope
from events.payloads import (
    RenderCancelled,
    RenderCompleted,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
)
from events.payloads.render import ProgressStatus


class JobStatus(StrEnum):
    """queued → running → assembling → complete | failed | cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    ASSEMBLING = "assembling"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """True once the job has ended; nothing changes it after that."""
        return self in TERMINAL

    @property
    def rendering(self) -> bool:
        """True while the job is accepted and not ended."""
        return not self.terminal


TERMINAL = frozenset({JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class JobState:
    """The render job, as folded from its render.jobs events."""

    render_job_id: str
    workspace_id: str | None = None
    project_id: str | None = None
    requested_by: str | None = None
    kind: str | None = None
    status: JobStatus = JobStatus.QUEUED
    progress: float = 0.0
    progress_message: str = ""
    edl_hash: str | None = None
    render_settings: dict[str, Any] | None = None
    trace_id: str | None = None
    # The event id of the request that owns the job: what a later command on it (a
    # cancellation) names as its cause.
    request_event_id: str | None = None
    planned_tasks: int | None = None
    output_path: str | None = None
    # The output in the store (its key and SHA-256), when the assembler put it there.
    output_key: str | None = None
    output_sha256: str | None = None
    file_size: int | None = None
    duration_ms: int | None = None
    error_message: str | None = None
    error_code: str | None = None
    # Provenance: the worker that joined it and its engine versions (the assembling
    # RenderProgress), and where the output was published beyond its disk (RenderCompleted).
    engine_versions: dict[str, str] | None = None
    assembler_worker_id: str | None = None
    output_url: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def message(self) -> str:
        """What a person is told about the job now: the error once failed, else the progress."""
        if self.status is JobStatus.FAILED:
            return self.error_message or self.status.value
        return self.progress_message or self.status.value


def _progress_status(reported: ProgressStatus) -> JobStatus:
    # A progress report never ends a job: only RenderCompleted/Failed/Cancelled do.
    return JobStatus.ASSEMBLING if reported is ProgressStatus.ASSEMBLING else JobStatus.RUNNING


def _folded(base: JobState, env: Envelope[Any]) -> JobState:
    p = env.payload
    at = env.occurred_at
    if isinstance(p, RenderRequested):
        if base.workspace_id is not None:
            # The job's first request owns it: a replayed or forged one (any producer may
            # write render.jobs) must not move it to another workspace or change its inputs.
            return base
        return replace(
            base,
            workspace_id=p.workspace_id,
            project_id=p.project_id,
            requested_by=p.requested_by,
            kind=p.kind,
            edl_hash=p.edl_hash,
            render_settings={"kind": p.kind, **p.output.model_dump(mode="json")},
            trace_id=env.trace_id,
            request_event_id=env.event_id,
            created_at=earliest(base.created_at, at),
        )
    if isinstance(p, RenderStarted):
        started = replace(
            base, planned_tasks=p.total_tasks, started_at=earliest(base.started_at, at)
        )
        if base.status.terminal or base.status is not JobStatus.QUEUED:
            return started
        return replace(
            started, status=JobStatus.RUNNING, progress_message=f"{p.total_tasks} clip tasks queued"
        )
    if base.status.terminal:
        return base
    if isinstance(p, RenderProgress):
        if p.progress < base.progress:
            return base
        progressed = replace(
            base,
            status=_progress_status(p.status),
            progress=p.progress,
            progress_message=p.message,
            started_at=earliest(base.started_at, at),
        )
        if p.worker_id is None:
            return progressed
        # The assembling report: the worker that joins the clips, and its engine (the last
        # one to start joining, when a crash made another take over).
        return replace(
            progressed,
            assembler_worker_id=p.worker_id,
            engine_versions=None if p.engine is None else p.engine.model_dump(mode="json"),
        )
    if isinstance(p, RenderCompleted):
        return replace(
            base,
            status=JobStatus.COMPLETE,
            progress=100.0,
            progress_message="complete",
            output_path=p.output,
            output_key=None if p.stored is None else p.stored.key,
            output_sha256=None if p.stored is None else p.stored.sha256,
            output_url=p.output_url,
            file_size=p.file_size,
            duration_ms=p.duration_ms,
            completed_at=at,
        )
    if isinstance(p, RenderFailed):
        return replace(
            base,
            status=JobStatus.FAILED,
            error_message=p.error,
            error_code=p.error_code,
            completed_at=at,
        )
    if isinstance(p, RenderCancelled):
        return replace(
            base, status=JobStatus.CANCELLED, progress_message="cancelled", completed_at=at
        )
    return base


def fold_job(job: JobState | None, env: Envelope[Any]) -> JobState:
    """Fold one render.jobs event into the job; returns `job` itself when nothing changed."""
    base = job or JobState(render_job_id=env.payload.render_job_id)
    new = _folded(base, env)
    if new == base:
        return job if job is not None else base
    return replace(new, updated_at=latest(new.updated_at, env.occurred_at))
