"""A render's clip tasks as the studio's timeline blocks show them: the read model's task
statuses in the words a person reads."""

from __future__ import annotations

from api.read_models import ClipTask
from api.schemas import ClipOut, ClipState
from domain.clip_stats import TaskStatus

STATES: dict[TaskStatus, ClipState] = {
    TaskStatus.PENDING: "queued",
    TaskStatus.RUNNING: "running",
    TaskStatus.SUCCESS: "done",
    TaskStatus.FALLBACK_LOCAL: "fell back",
    TaskStatus.FALLBACK_PLACEHOLDER: "placeholder",
    TaskStatus.FAILED: "failed",
}


def clip_out(task: ClipTask) -> ClipOut:
    """One clip task as a timeline block shows it."""
    return ClipOut(
        segment_index=task.segment_index,
        timeline_in_ms=task.timeline_in_ms,
        timeline_out_ms=task.timeline_out_ms,
        state=STATES[TaskStatus(task.status)],
        source_type=task.source_type,
        attempts=task.attempt + 1 if task.started_at else 0,
        fallback_reasons=task.fallback_reasons or {},
        worker_id=task.worker_id,
        slot=task.slot,
        duration_ms=task.duration_ms,
        queued_at=task.queued_at,
        started_at=task.started_at,
        finished_at=task.finished_at,
        error_message=task.error_message,
    )
